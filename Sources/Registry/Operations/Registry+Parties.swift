import SQLKit
import Store

extension Registry {
    public func addWarehouse(_ warehouse: Warehouse) async throws -> Warehouse {
        try Identifier.validate(warehouse.code, what: "warehouse code")
        return try await store.write { db in
            do {
                try await db.raw("INSERT INTO warehouses (code, name) VALUES (\(bind: warehouse.code), \(bind: warehouse.name))").run()
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw RegistryError(.duplicate, "warehouse \(warehouse.code) exists already")
            }
            return warehouse
        }
    }

    public func warehouses() async throws -> [Warehouse] {
        try await store.read { db in
            try await db.raw("SELECT code, name FROM warehouses ORDER BY code").all().map {
                Warehouse(code: try $0.string("code"), name: try $0.string("name"))
            }
        }
    }

    public func addPartner(_ partner: Partner) async throws -> Partner {
        try Identifier.validate(partner.code, what: "partner code")
        // A customer is picked for with TM:PICK:<code>, where ':' separates: a code with one was
        // added and could never be picked for (found by a QA run).
        if partner.code.contains(":") {
            throw RegistryError(.invalidInput, "partner code \(partner.code) has a ':', which separates the parts of a station's TM:PICK:<customer> code: use another character")
        }
        if let days = partner.minimumShelfLifeDays, days < 0 {
            throw RegistryError(.invalidInput, "partner \(partner.code): minimum shelf life \(days) days is negative")
        }
        // The name too: one with a line break broke the tables of `trace` and `recall show`.
        for (field, value, longest) in [("name", Optional(partner.name), 200), ("contact", partner.contact, 200),
                                        ("email", partner.email, 200), ("phone", partner.phone, 50)] {
            if let value, value.count > longest || value.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) {
                throw RegistryError(.invalidInput, "partner \(partner.code): \(field) must be one line of at most \(longest) characters")
            }
        }
        return try await store.write { db in
            do {
                try await db.raw("""
                    INSERT INTO partners (code, name, role, min_shelf_life_days, contact, email, phone)
                    VALUES (\(bind: partner.code), \(bind: partner.name), \(bind: partner.role.rawValue), \(bind: partner.minimumShelfLifeDays),
                            \(bind: partner.contact), \(bind: partner.email), \(bind: partner.phone))
                    """).run()
            } catch where DatabaseErrors.uniqueViolation(error) != nil {
                throw RegistryError(.duplicate, "partner \(partner.code) exists already")
            }
            return partner
        }
    }

    public func partners() async throws -> [Partner] {
        try await store.read { db in
            try await db.raw("SELECT * FROM partners ORDER BY code").all().map {
                Partner(code: try $0.string("code"), name: try $0.string("name"),
                        role: try $0.enumeration("role", as: Partner.Role.self),
                        minimumShelfLifeDays: try $0.optionalInt("min_shelf_life_days"), contact: try $0.optionalString("contact"),
                        email: try $0.optionalString("email"), phone: try $0.optionalString("phone"))
            }
        }
    }
}
