/// The code lists some AIs draw from: ISO 3166 countries, ISO 4217 currencies, AIDC media types and
/// UN/ECE Recommendation 21 package types.
///
/// The bit fields are those of the GS1 Syntax Engine (GS1 AISBL, Apache-2.0), most significant bit
/// first, so that our verdicts agree with the reference.
enum CodeLists {
    /// ISO 3166-1 numeric country codes, one bit per value 000-999.
    private static let iso3166: [UInt64] = [
        0x08a8_8889_8888_b888, 0x8aa8_0a28_8888_8888, 0x0888_888a_2223_2889, 0x8818_8a22_21e3_22a2,
        0x2a2a_1800_8888_8888, 0x888a_8888_8888_8888, 0x8882_88a2_622a_22a2, 0x2222_2222_8808_b888,
        0x8888_9708_0822_2222, 0x2de1_0288_8888_a222, 0x320a_1b22_2222_a203, 0xe208_08c8_0888_88a8,
        0x8888_889a_8900_2021, 0xe080_222a_0008_2102, 0x0000_0000_0000_0000, 0x0000_0000_0000_0000,
    ]

    /// ISO 3166-1 alpha-2 country codes, one bit per value AA-ZZ.
    private static let iso3166Alpha2: [UInt64] = [
        0x1e9a_fb77_f7bd_bb7b, 0xe4fc_21a8_012b_0070, 0x003a_900d_f9df_a800, 0xb160_181e_f002_02c0,
        0x00b8_d42f_8281_f2bf, 0x3fff_eba4_d210_0080, 0x023c_f1ca_8000_0002, 0x008a_8fbf_e75c_ddf9,
        0x5982_0820_eaa1_0200, 0x4002_0000_0000_0800, 0x1020_0200_8000_0000,
    ]

    /// ISO 4217 numeric currency codes, one bit per value 000-999.
    private static let iso4217: [UInt64] = [
        0x0088_0000_8808_b808, 0x8880_0820_8088_0808, 0x0880_8088_0022_0008, 0x8010_8202_0282_2000,
        0x0202_0000_0800_0000, 0x8888_0888_8888_8080, 0x088a_88a2_6222_2002, 0x0222_0000_8800_a080,
        0x8808_0c00_0822_0200, 0x2022_0288_8000_0020, 0x1202_0000_0020_2002, 0xa200_0080_0008_8888,
        0x0088_8800_8100_2020, 0x2080_0028_0000_2200, 0x0400_000f_e6ad_bfdf, 0xfdfd_fce2_2500_0000,
    ]

    /// AIDC media types (AI 7241), one bit per value 00-99.
    private static let mediaTypes: [UInt8] = [0x7f, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xf0]

    private static let packageTypeList = [
        "1A", "1B", "1D", "1F", "1G", "1W",
        "200", "201", "202", "203", "204", "205", "206", "210", "211", "212", "2C",
        "3A", "3H",
        "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H",
        "5H", "5L", "5M",
        "6H", "6P",
        "7A", "7B",
        "8", "8A", "8B", "8C",
        "9",
        "AA", "AB", "AC", "AD", "AF", "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV",
        "B4", "BB", "BC", "BD", "BE", "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO",
        "BP", "BQ", "BR", "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ",
        "CA", "CB", "CBL", "CC", "CCE", "CD", "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO",
        "CP", "CQ", "CR", "CS", "CT", "CU", "CV", "CW", "CX", "CY", "CZ",
        "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM", "DN", "DP", "DPE", "DR", "DS", "DT", "DU",
        "DV", "DW", "DX", "DY",
        "E1", "E2", "E3", "EC", "ED", "EE", "EF", "EG", "EH", "EI", "EN",
        "FB", "FC", "FD", "FE", "FI", "FL", "FO", "FOB", "FP", "FPE", "FR", "FT", "FW", "FX",
        "GB", "GI", "GL", "GR", "GU", "GY", "GZ",
        "HA", "HB", "HC", "HG", "HN", "HR",
        "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ",
        "JB", "JC", "JG", "JR", "JT", "JY",
        "KG", "KI",
        "LAB", "LE", "LG", "LT", "LU", "LV", "LZ",
        "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT", "MW", "MX",
        "NA", "NE", "NF", "NG", "NS", "NT", "NU", "NV",
        "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT", "OU",
        "P2", "PA", "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
        "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ",
        "QA", "QB", "QC", "QD", "QF", "QG", "QH", "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS",
        "RB1", "RB2", "RB3", "RCB", "RD", "RG", "RJ", "RK", "RL", "RO", "RT", "RZ",
        "S1", "SA", "SB", "SC", "SD", "SE", "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST", "STL",
        "SU", "SV", "SW", "SX", "SY", "SZ",
        "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL", "TN", "TO", "TR", "TRE", "TS", "TT",
        "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ",
        "UC", "UN", "UUE",
        "VA", "VG", "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY",
        "WA", "WB", "WC", "WD", "WF", "WG", "WH", "WJ", "WK", "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS",
        "WT", "WU", "WV", "WW", "WX", "WY", "WZ",
        "X11", "X12", "X15", "X16", "X17", "X18", "X19", "X20", "X3", "XA", "XB", "XC", "XD", "XF", "XG", "XH",
        "XJ", "XK",
        "YA", "YB", "YC", "YD", "YF", "YG", "YH", "YJ", "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT",
        "YV", "YW", "YX", "YY", "YZ",
        "ZA", "ZB", "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT",
        "ZU", "ZV", "ZW", "ZX", "ZY", "ZZ",
    ]

    /// The package types packed into integers (up to three bytes), for a cheap look-up.
    private static let packageTypes: Set<UInt32> = Set(packageTypeList.map { code in
        code.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    })

    private static func bit(_ value: Int, in field: [UInt64]) -> Bool {
        field[value / 64] & (UInt64(1) << (63 - UInt64(value % 64))) != 0
    }

    private static func threeDigitValue(_ data: Bytes) -> Int? {
        guard data.count == 3, isDigit(data[0]), isDigit(data[1]), isDigit(data[2]) else { return nil }
        return Int(data[0] &- 48) * 100 + Int(data[1] &- 48) * 10 + Int(data[2] &- 48)
    }

    static func isISO3166(_ data: Bytes) -> Bool {
        threeDigitValue(data).map { bit($0, in: iso3166) } ?? false
    }

    static func isISO4217(_ data: Bytes) -> Bool {
        threeDigitValue(data).map { bit($0, in: iso4217) } ?? false
    }

    static func isISO3166Alpha2(_ data: Bytes) -> Bool {
        guard data.count == 2, (65...90).contains(data[0]), (65...90).contains(data[1]) else { return false }
        return bit(Int(data[0] - 65) * 26 + Int(data[1] - 65), in: iso3166Alpha2)
    }

    static func isMediaType(_ data: Bytes) -> Bool {
        guard data.count == 2, isDigit(data[0]), isDigit(data[1]) else { return false }
        let value = data.twoDigitValue(at: 0)
        return mediaTypes[value / 8] & (UInt8(0x80) >> UInt8(value % 8)) != 0
    }

    static func isPackageType(_ data: Bytes) -> Bool {
        guard (1...3).contains(data.count) else { return false }
        return packageTypes.contains(data.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}
