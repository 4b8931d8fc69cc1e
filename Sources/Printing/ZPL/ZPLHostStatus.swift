public import Foundation

/// A ZPL printer's answer to `~HS` (host status): three `STX … ETX CR LF` strings of
/// comma-separated fields, decoded.
///
/// String 1 is `aaa,b,c,dddd,eee,f,g,h,iii,j,k,l` (communication settings, paper out, pause, label
/// length, formats in the receive buffer, buffer full, diagnostic mode, partial format, unused,
/// corrupt RAM, under temperature, over temperature); string 2 is `mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www`
/// (function settings, unused, head up, ribbon out, thermal transfer, print mode, print width mode,
/// label waiting, labels remaining in the batch, format while printing, graphics stored); string 3
/// is `xxxx,y` (password, static RAM installed).
public struct ZPLHostStatus: Sendable, Equatable {
    public var paperOut: Bool
    public var paused: Bool
    /// Label length in dots.
    public var labelLength: Int
    /// Formats received and not yet printed.
    public var formatsInBuffer: Int
    public var bufferFull: Bool
    /// A format is being received (its `^XZ` has not arrived yet).
    public var partialFormat: Bool
    public var corruptRAM: Bool
    public var underTemperature: Bool
    public var overTemperature: Bool
    public var headUp: Bool
    public var ribbonOut: Bool
    /// A label waits to be taken (peel-off mode).
    public var labelWaiting: Bool
    /// Labels of the current batch still to print.
    public var labelsRemaining: Int

    public init(paperOut: Bool = false, paused: Bool = false, labelLength: Int = 0, formatsInBuffer: Int = 0,
                bufferFull: Bool = false, partialFormat: Bool = false, corruptRAM: Bool = false,
                underTemperature: Bool = false, overTemperature: Bool = false, headUp: Bool = false,
                ribbonOut: Bool = false, labelWaiting: Bool = false, labelsRemaining: Int = 0) {
        self.paperOut = paperOut
        self.paused = paused
        self.labelLength = labelLength
        self.formatsInBuffer = formatsInBuffer
        self.bufferFull = bufferFull
        self.partialFormat = partialFormat
        self.corruptRAM = corruptRAM
        self.underTemperature = underTemperature
        self.overTemperature = overTemperature
        self.headUp = headUp
        self.ribbonOut = ribbonOut
        self.labelWaiting = labelWaiting
        self.labelsRemaining = labelsRemaining
    }

    /// Decodes the three strings' fields (without STX, ETX, CR, LF). Nil when a string has too few
    /// fields or a number does not read as one.
    public init?(string1: Substring, string2: Substring, string3: Substring) {
        let one = string1.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let two = string2.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let three = string3.split(separator: ",", omittingEmptySubsequences: false)
        guard one.count >= 12, two.count >= 11, three.count >= 2 else { return nil }
        func flag(_ text: String) -> Bool? {
            switch text { case "0": false; case "1": true; default: nil }
        }
        guard let paperOut = flag(one[1]), let paused = flag(one[2]), let labelLength = Int(one[3]),
              let formats = Int(one[4]), let bufferFull = flag(one[5]), let partial = flag(one[7]),
              let corrupt = flag(one[9]), let under = flag(one[10]), let over = flag(one[11]),
              let headUp = flag(two[2]), let ribbonOut = flag(two[3]), let waiting = flag(two[7]),
              let remaining = Int(two[8])
        else { return nil }
        self.init(paperOut: paperOut, paused: paused, labelLength: labelLength, formatsInBuffer: formats,
                  bufferFull: bufferFull, partialFormat: partial, corruptRAM: corrupt, underTemperature: under,
                  overTemperature: over, headUp: headUp, ribbonOut: ribbonOut, labelWaiting: waiting,
                  labelsRemaining: remaining)
    }

    /// The conditions that stop printing (a full buffer among them: the printer takes no more data).
    public var conditions: Set<PrinterStatus.Condition> {
        var conditions: Set<PrinterStatus.Condition> = []
        if paperOut { conditions.insert(.paperOut) }
        if paused { conditions.insert(.paused) }
        if bufferFull { conditions.insert(.bufferFull) }
        if corruptRAM { conditions.insert(.corruptMemory) }
        if underTemperature { conditions.insert(.headTooCold) }
        if overTemperature { conditions.insert(.headTooHot) }
        if headUp { conditions.insert(.headOpen) }
        if ribbonOut { conditions.insert(.ribbonOut) }
        return conditions
    }

    /// As a ``PrinterStatus``. A format still being received counts as one in the buffer, so that
    /// a printer reading the end of a job is never taken as idle.
    public func printerStatus(labelCounter: Int? = nil, at: Date = Date()) -> PrinterStatus {
        PrinterStatus(conditions: conditions, formatsInBuffer: formatsInBuffer + (partialFormat ? 1 : 0),
                      labelsRemaining: labelsRemaining, labelCounter: labelCounter, answered: true,
                      message: labelWaiting ? "a label waits to be taken" : "", at: at)
    }
}
