import Foundation
@testable import Server
import Testing

extension APITests {
    /// Operators sign in at a station by badge or PIN and get a session bound to it: their scans
    /// are logged as theirs, other stations and higher roles are refused, failed sign-ins slow
    /// the station's next ones down, and a signed-out session is refused at once.
    @Test func operatorsSignInAtTheirStation() async throws {
        let service = try await APIService.start(.sqlite)
        defer { service.serve.killIfRunning() }
        let db = service.database.location
        #expect(try await Command.tracemark(["operator", "add", "B-100", "--name", "Anna", "--db", db]).status == 0)
        let bo = try await Command.tracemark(["operator", "add", "B-900", "--name", "Bo", "--role", "supervisor", "--pin-from-stdin",
                                              "--db", db], stdin: "4711\n")
        #expect(bo.status == 0, "\(bo.stderr)")
        let list = try await Command.tracemark(["operator", "list", "--db", db])
        #expect(list.stdout.contains("B-900\tBo\tsupervisor\tPIN"), "\(list.stdout)")

        // JSON only: a form or text/plain another web page could make a browser send is refused
        // before it counts as a failed sign-in (a QA run locked a station's sign-in that way).
        let plain = try await Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/plain",
                                                    "--data-binary", #"{"station":"dock-1","badge":"B-100"}"#, "\(service.base)/api/v1/sessions"])
        #expect(plain.stdout == "415", "\(plain.stdout)")
        // A PIN that cannot be one is a mistake, not a guess: 422, and no step towards a lock-out.
        for _ in 0..<6 {
            let malformed = try await service.request("POST", "/api/v1/sessions", role: nil, body: try service.json(["station": "dock-1", "pin": "12a4"]))
            #expect(malformed.status == 422, "\(malformed.text)")
        }
        let signedIn = try await service.request("POST", "/api/v1/sessions", role: nil,
                                                 body: try service.json(["station": "dock-1", "badge": "B-100"]))
        #expect(signedIn.status == 201, "\(signedIn.text)")
        let token = try #require(signedIn.object["token"] as? String)
        #expect(token.hasPrefix("tms_"))
        let current = try await service.request("GET", "/api/v1/sessions/current", token: token)
        #expect(current.object["badge"] as? String == "B-100")
        #expect(current.object["station"] as? String == "dock-1")
        #expect(try await service.request("GET", "/api/v1/sessions/current", role: "admin").code == "not-found")

        // Scans at its own station are the operator's; another station, and a supervisor's override, are refused.
        let expiry = relativeDate(days: 300, format: "yyMMdd")
        let scan = try await service.request("POST", "/api/v1/stations/dock-1/scans",
                                             body: try service.json(["raw": "(01)09501101530003(17)\(expiry)(10)SESSION-1(30)2"]), token: token)
        #expect(scan.object["action"] as? String == "added-to-receipt", "\(scan.text)")
        let elsewhere = try await service.request("POST", "/api/v1/stations/lookup-1/scans",
                                                  body: try service.json(["raw": "(01)09501101530003(10)SESSION-1"]), token: token)
        #expect(elsewhere.status == 403)
        #expect(elsewhere.code == "session-station")
        // Nor another station's scan log, nor stock documents posted directly (a QA run wrote off
        // and transferred stock with a session a badge alone had opened).
        #expect(try await service.request("GET", "/api/v1/scans?station=lookup-1", token: token).code == "session-station")
        // Nor by naming no station: the log, its CSV and the list of stations show its own only
        // (a QA run read another station's scans and open tasks that way).
        _ = try await service.request("POST", "/api/v1/stations/lookup-1/scans", role: "operator", body: try service.json(["raw": "SECRET-AT-LOOKUP"]))
        let unfiltered = try await service.request("GET", "/api/v1/scans", token: token)
        let stations = Set(((unfiltered.object["items"] as? [[String: Any]]) ?? []).compactMap { $0["station"] as? String })
        #expect(unfiltered.status == 200 && stations == ["dock-1"], "\(unfiltered.text)")
        let csv = try await service.request("GET", "/api/v1/scans?format=csv", token: token)
        #expect(csv.status == 200 && !csv.text.contains("SECRET-AT-LOOKUP") && csv.text.contains("dock-1"), "\(csv.text)")
        let listed = try await service.request("GET", "/api/v1/stations", token: token)
        #expect(((listed.json as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String } == ["dock-1"], "\(listed.text)")
        // The receipt the session's scan opened is the operator's (it was nobody's: only a badge
        // scanned at the station counted).
        let task = ((listed.json as? [[String: Any]])?.first?["task"] as? [String: Any]) ?? [:]
        #expect(task["operatorBadge"] as? String == "B-100" && (task["operatorName"] as? String)?.contains("B-100") == true, "\(listed.text)")
        let writeOff = try await service.request("POST", "/api/v1/documents/write-off", body: try service.json([
            "warehouse": "MAIN", "lines": [["product": "PAINT-5L", "quantity": 1]], "reason": "x",
        ]), token: token)
        #expect(writeOff.status == 403 && writeOff.code == "session-station", "\(writeOff.text)")
        // Reading the journal is an operator's, the session's too: it was refused as if it posted.
        #expect(try await service.request("GET", "/api/v1/documents", token: token).status == 200)
        #expect(try await service.request("GET", "/api/v1/scans?station=dock-1&limit=1", token: token).status == 200)
        let log = try await service.request("GET", "/api/v1/scans?station=dock-1&limit=1", role: "viewer")
        #expect(((log.object["items"] as? [[String: Any]])?.first?["user"] as? String) == "B-100", "\(log.text)")
        let scanID = try #require(scan.object["scan"] as? Int)
        let confirm = try await service.request("POST", "/api/v1/stations/dock-1/scans/\(scanID)/confirm",
                                                body: try service.json(["reason": "x"]), token: token)
        #expect(confirm.status == 403)

        // A badge is printed, not secret: the supervisor's badge alone gives an operator's session,
        // which cannot override.
        let byBadge = try await service.request("POST", "/api/v1/sessions", role: nil, body: try service.json(["station": "dock-1", "badge": "B-900"]))
        #expect(byBadge.status == 201, "\(byBadge.text)")
        #expect((byBadge.object["session"] as? [String: Any])?["role"] as? String == "operator")
        let badgeToken = try #require(byBadge.object["token"] as? String)
        let override = try await service.request("POST", "/api/v1/documents/issue", role: nil, body: try service.json([
            "warehouse": "MAIN", "lines": [["product": "PAINT-5L", "quantity": 1]], "allowExpired": true,
        ]), token: badgeToken)
        #expect(override.status == 403, "\(override.text)")

        // A PIN signs the supervisor in.
        let byPIN = try await service.request("POST", "/api/v1/sessions", role: nil, body: try service.json(["station": "dock-1", "pin": "4711"]))
        #expect(byPIN.status == 201, "\(byPIN.text)")
        #expect((byPIN.object["session"] as? [String: Any])?["role"] as? String == "supervisor")

        // A wrong PIN is refused. (How failures slow sign-ins down is timed, so it is tested on
        // the throttle itself, below, with waits no machine is slow enough to outlast.)
        let wrong = try await service.request("POST", "/api/v1/sessions", role: nil, body: try service.json(["station": "dock-1", "pin": "0000"]))
        #expect(wrong.status == 401)
        #expect(wrong.code == "sign-in-failed")

        // A badge sent over HTTP is only text: it claims no more than the caller is.
        let supervisorToken = try #require(byPIN.object["token"] as? String)
        // Expired goods wait for a supervisor; confirmed over HTTP, named as a badge scan names them.
        let past = relativeDate(days: -3, format: "yyMMdd")
        let expired = try await service.request("POST", "/api/v1/stations/dock-1/scans",
                                                body: try service.json(["raw": "(01)09501101530003(17)\(past)(10)SESSION-OLD(30)1"]), token: token)
        let expiredID = try #require(expired.object["scan"] as? Int, "\(expired.text)")
        let confirmed = try await service.request("POST", "/api/v1/stations/dock-1/scans/\(expiredID)/confirm",
                                                  body: try service.json(["reason": "for destruction"]), token: supervisorToken)
        #expect(confirmed.status == 200 && confirmed.text.contains("confirmed by Bo (B-900): for destruction"), "\(confirmed.text)")
        func sent(_ raw: String, token: String? = nil, role: String? = nil) async throws -> APIService.Answer {
            try await service.request("POST", "/api/v1/stations/dock-1/scans", role: role, body: try service.json(["raw": raw]), token: token)
        }
        let approval = try await sent("TM:OK:B-900", role: "operator")
        #expect(approval.status == 403 && approval.text.contains("TM:OK approves with a supervisor's badge"), "\(approval.text)")
        #expect(try await sent("TM:OK:B-900", token: token).status == 403)
        #expect(try await sent("tm:ok:B-900", role: "operator").status == 403)
        #expect(try await sent("TM:OP:B-900", token: token).text.contains("sign out, then sign in as B-900"))
        #expect(try await sent("TM:OP:B-900", role: "operator").text.contains("badge B-900 is a supervisor's"))
        #expect(try await sent("TM:OK:B-100", token: supervisorToken).text.contains("a session approves with its own badge (B-900)"))
        // A supervisor's token is no person: it confirms by the confirm operation, under its own name.
        let inAnothersName = try await sent("TM:OK:B-900", role: "supervisor")
        #expect(inAnothersName.status == 403 && inAnothersName.text.contains("would confirm in B-900's name"), "\(inAnothersName.text)")

        // A sign-in's answer (its token) is never kept for an Idempotency-Key: each is new.
        var tokens: Set<String> = []
        for _ in 0..<2 {
            let again = try await service.request("POST", "/api/v1/sessions", role: nil, body: try service.json(["station": "dock-1", "badge": "B-100"]),
                                                  headers: ["Idempotency-Key": "sign-in-1"])
            #expect(again.status == 201 && again.headers["idempotent-replayed"] == nil)
            tokens.insert(again.object["token"] as? String ?? "")
        }
        #expect(tokens.count == 2)

        #expect(try await service.request("DELETE", "/api/v1/sessions/current", token: token).status == 200)
        #expect(try await service.request("GET", "/api/v1/sessions/current", token: token).status == 401)
        // A badge withdrawn ends its sessions at once.
        let other = try #require(tokens.first)
        #expect(try await service.request("GET", "/api/v1/sessions/current", token: other).status == 200)
        #expect(try await Command.tracemark(["operator", "remove", "B-100", "--db", db]).status == 0)
        #expect(try await service.request("GET", "/api/v1/sessions/current", token: other).status == 401)
        try await service.stop()
    }
}

/// Failed sign-ins slow a station's next ones down; a success does not clear that (or a guesser
/// could sign in with their own badge between guesses); stations are apart; a station's count is
/// forgotten after a quiet while.
@Suite struct LoginThrottleTests {
    @Test func failuresBeyondTheFreeOnesMakeTheNextAttemptWait() async {
        let throttle = LoginThrottle(free: 5, firstDelay: .seconds(3600))
        for _ in 0..<4 { await throttle.failed("dock-1") }
        #expect(await throttle.wait("dock-1") == 0)
        // The fifth failure makes the sixth attempt wait.
        await throttle.failed("dock-1")
        let wait = await throttle.wait("dock-1")
        #expect(wait > 3000 && wait <= 3600)
        await throttle.failed("dock-1")
        #expect(await throttle.wait("dock-1") > 3600)
        #expect(await throttle.wait("lookup-1") == 0)
        await throttle.succeeded("dock-1")
        #expect(await throttle.wait("dock-1") > 3600)
    }

    /// Attempts sent at once are let in only while failures and attempts in flight stay within
    /// the free ones: a hundred guesses at once had eleven checked (found by a QA run).
    @Test func attemptsAtOnceAreLetInOnlyUpToTheFreeOnes() async {
        let throttle = LoginThrottle(free: 5, firstDelay: .seconds(3600))
        var admitted = 0
        for _ in 0..<100 where await throttle.admit("dock-1") == 0 { admitted += 1 }
        #expect(admitted == 5)
        for _ in 0..<5 { await throttle.finished("dock-1", failed: true) }
        #expect(await throttle.admit("dock-1") > 3000, "the five failures make the next attempt wait")
        // A success in flight frees its place without counting as a failure.
        let other = LoginThrottle(free: 2, firstDelay: .seconds(3600))
        #expect(await other.admit("pick-1") == 0)
        #expect(await other.admit("pick-1") == 0)
        #expect(await other.admit("pick-1") > 0)
        await other.finished("pick-1", failed: false)
        #expect(await other.admit("pick-1") == 0)
    }

    @Test func aStationsCountIsForgottenAfterAQuietWhile() async {
        // Forgotten at once: every failure is the first again, so none waits.
        let forgetful = LoginThrottle(free: 2, firstDelay: .seconds(3600), forgetAfter: .zero)
        for _ in 0..<5 { await forgetful.failed("dock-1") }
        #expect(await forgetful.wait("dock-1") == 0)
    }
}
