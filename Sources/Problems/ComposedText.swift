import Foundation

extension String {
    /// The text in Unicode's composed form (NFC): "É" as one character, not "E" and a combining
    /// accent. The two forms look and print the same, and Swift compares them as equal, but
    /// SQLite and PostgreSQL compare bytes (a lot `CAFÉ` typed on one keyboard and pasted from
    /// another system would be two lots nobody can tell apart), and a printer's font draws the
    /// accent apart. So every text the store binds, and every text a label prints, is composed.
    /// ASCII, nearly every code and number, is returned as it is.
    public var composed: String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return self }
        return precomposedStringWithCanonicalMapping
    }
}
