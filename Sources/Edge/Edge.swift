/// The edge server: TLS, HTTP/1.1 and HTTP/2, tenant resolution, page cache and admin API.
///
/// The module is laid out by the package skeleton; the server arrives with the Edge issue.
public enum Edge {}
