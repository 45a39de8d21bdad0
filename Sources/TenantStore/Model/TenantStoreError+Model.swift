extension TenantStoreError {
    static func notFound(_ message: String, file: String = #fileID, line: Int = #line) -> TenantStoreError {
        TenantStoreError(code: .notFound, message: message, file: file, line: line)
    }

    static func conflict(_ message: String, file: String = #fileID, line: Int = #line) -> TenantStoreError {
        TenantStoreError(code: .conflict, message: message, file: file, line: line)
    }

    static func invalidArgument(_ message: String, file: String = #fileID, line: Int = #line) -> TenantStoreError {
        TenantStoreError(code: .invalidArgument, message: message, file: file, line: line)
    }

    static func validationFailed(
        _ message: String,
        pointer: String,
        file: String = #fileID,
        line: Int = #line
    ) -> TenantStoreError {
        TenantStoreError(
            code: .validationFailed,
            message: message,
            problems: [ValidationProblem(pointer: pointer, message: message)],
            file: file,
            line: line
        )
    }
}
