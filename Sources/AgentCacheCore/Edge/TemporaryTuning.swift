import Glibc
enum TemporaryTuning {
    static func int(_ name: String, _ fallback: Int) -> Int {
        guard let raw = getenv(name) else { return fallback }
        return Int(String(cString: raw)) ?? fallback
    }
}
