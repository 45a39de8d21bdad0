/// The problems found so far while validating one input; validation keeps going after the first
/// problem so a client learns everything wrong with a document in one round trip.
struct ProblemList: Sendable {
    private(set) var problems: [ValidationProblem] = []

    mutating func add(_ pointer: JSONPointer, _ message: String) {
        self.problems.append(ValidationProblem(pointer: pointer.description, message: message))
    }

    mutating func check(_ value: String, _ rule: FieldRule, at pointer: JSONPointer) {
        if let message = rule.problem(with: value) {
            self.add(pointer, message)
        }
    }

    func throwIfAny(_ summary: String, file: String = #fileID, line: Int = #line) throws {
        guard !self.problems.isEmpty else { return }
        throw TenantStoreError(
            code: .validationFailed,
            message: "\(summary): \(self.problems.count) problem(s)",
            problems: self.problems,
            file: file,
            line: line
        )
    }
}
