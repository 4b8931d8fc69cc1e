/// The data of a ZPL `^BC` field in its normal mode, with the subset invocations written out.
///
/// Subset C packs two digits a symbol character but silently drops letters (`>;>8` then `10LOT1`
/// prints `(10)1`), so letters always go in subset B: runs of four or more digits switch to C
/// (`>5`), anything else to B (`>6`); FNC1 (`>8`) is valid in both. In subset B `>` is written
/// `>0`, `^` as `><` and `~` as `>=`.
enum Code128Plan {
    enum Token: Equatable { case fnc1, character(UInt8) }

    /// Tokens for GS1 data: FNC1 first, then the AIs with FNC1 after variable-length values.
    static func tokens(gs1 elements: [(ai: String, value: String)], separatorAfter: (Int) -> Bool) -> [Token] {
        var tokens: [Token] = [.fnc1]
        for (index, element) in elements.enumerated() {
            tokens += (element.ai + element.value).utf8.map(Token.character)
            if index < elements.count - 1, separatorAfter(index) { tokens.append(.fnc1) }
        }
        return tokens
    }

    static func tokens(text: String) -> [Token] { text.utf8.map(Token.character) }

    /// The `^FD` data for `tokens`.
    static func fieldData(_ tokens: [Token]) -> String {
        var out = ""
        var subset: Character?  // "B" or "C"
        var index = 0
        func isDigit(_ token: Token) -> Bool {
            if case .character(let byte) = token { return byte >= 48 && byte <= 57 }
            return false
        }
        func digitRun(from start: Int) -> Int {
            var count = 0
            var position = start
            while position < tokens.count {
                if isDigit(tokens[position]) {
                    count += 1
                } else if tokens[position] != .fnc1 || count % 2 == 1 {
                    // FNC1 may sit inside a C run only between digit pairs.
                    break
                }
                position += 1
            }
            return count
        }
        func runHoldsFNC1(from start: Int, digits: Int) -> Bool {
            var remaining = digits
            var position = start
            while remaining > 0, position < tokens.count {
                if tokens[position] == .fnc1 { return true }
                remaining -= 1
                position += 1
            }
            return false
        }
        func switchTo(_ next: Character) {
            guard subset != next else { return }
            if subset == nil {
                out += next == "C" ? ">;" : ">:"
            } else {
                out += next == "C" ? ">5" : ">6"
            }
            subset = next
        }
        while index < tokens.count {
            let token = tokens[index]
            if token == .fnc1 {
                // FNC1 at the start: start in C when digits follow (an odd run's first digit then
                // goes in B after a switch), else in B.
                if subset == nil {
                    let run = digitRun(from: index + 1)
                    let startsWithSpare = run % 2 == 1 && !runHoldsFNC1(from: index + 1, digits: run)
                    switchTo(!startsWithSpare && run >= 2 ? "C" : "B")
                }
                out += ">8"
                index += 1
                continue
            }
            let run = digitRun(from: index)
            if isDigit(token), run >= 4 || (subset == "C" && run >= 2) || (subset == nil && run >= 2 && run % 2 == 0 && run == remainingCharacters(tokens, from: index)) {
                // An odd run: the spare digit goes in B. A run holds an FNC1 only after an even
                // count of digits, so a run with one ends on its odd segment: its last digit is
                // the spare, and the loop writes it in B after the pairs. Without an FNC1 the
                // first digit is the spare, so that the run can end the data in C.
                if run % 2 == 1, !runHoldsFNC1(from: index, digits: run) {
                    switchTo("B")
                    out += String(UnicodeScalar(byteOf(token)))
                    index += 1
                }
                switchTo("C")
                var pairs = (run / 2) * 2
                while pairs > 0, index < tokens.count {
                    if tokens[index] == .fnc1 {
                        out += ">8"
                    } else {
                        out += String(UnicodeScalar(byteOf(tokens[index])))
                        pairs -= 1
                    }
                    index += 1
                }
                continue
            }
            switchTo("B")
            let byte = byteOf(token)
            switch byte {
            case UInt8(ascii: ">"): out += ">0"
            case UInt8(ascii: "^"): out += "><"
            case UInt8(ascii: "~"): out += ">="
            default: out += String(UnicodeScalar(byte))
            }
            index += 1
        }
        return out
    }

    private static func byteOf(_ token: Token) -> UInt8 {
        if case .character(let byte) = token { return byte }
        return 0
    }

    private static func remainingCharacters(_ tokens: [Token], from start: Int) -> Int {
        tokens[start...].filter { $0 != .fnc1 }.count
    }
}
