import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The station web page at `/`: three hand-written files compiled into the binary, served beside
/// the API on the same address. The page holds no rule of its own: everything it does is a call
/// to `/api/v1` with the signed-in operator's session token.
enum WebPage {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
        /// A strong validator, so that a reload after an upgrade never mixes two versions.
        var etag: String
    }

    static let files: [String: File] = [
        "/": file(PackageResources.index_html, "text/html; charset=utf-8"),
        "/app.css": file(PackageResources.app_css, "text/css; charset=utf-8"),
        "/app.js": file(PackageResources.app_js, "text/javascript; charset=utf-8"),
    ]

    private static func file(_ bytes: [UInt8], _ type: String) -> File {
        // FNV-1a over the bytes: cheap, stable between runs, changes with any edit.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return File(bytes: bytes, contentType: type, etag: "\"\(String(hash, radix: 16))\"")
    }

    /// Scripts only from this server, no inline script, no framing by another site, nothing sent
    /// elsewhere: a field value shown on the page can never run as code.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: data:; "
            + "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    static func register(on router: Router<BasicRequestContext>) {
        for (path, file) in files {
            router.on(RouterPath(path), method: .get) { request, _ in response(file, request) }
            router.on(RouterPath(path), method: .head) { request, _ in
                var answer = response(file, request)
                answer.body = ResponseBody()
                answer.headers[.contentLength] = String(file.bytes.count)
                return answer
            }
        }
        // Browsers ask for an icon on their own: there is none, and saying so quietly keeps their consoles clean.
        router.on(RouterPath("/favicon.ico"), method: .get) { _, _ in Response(status: .noContent) }
        // The page as served at /index.html too, as browsers and proxies sometimes ask for it.
        if let index = files["/"] {
            router.on(RouterPath("/index.html"), method: .get) { request, _ in response(index, request) }
        }
    }

    static func response(_ file: File, _ request: Request) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = file.contentType
        fields[.eTag] = file.etag
        // Revalidated on each load (a 304 costs one round trip on loopback): never a stale page.
        fields[.cacheControl] = "no-cache"
        for (name, value) in securityHeaders {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: fields)
        }
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
