import Foundation

/// The API's contract, served at `GET /api/v1/openapi.yaml`. Written by hand beside the route
/// table (``APIRoutes/all``); `make test` holds the two to each other: every operation here is
/// routed, with the role named in `x-tracemark-role`, and every route is here.
///
/// Under an operation's `responses`, the line `problems: [400, 401, 404]` stands for one
/// `"400": {$ref: "#/components/responses/Problem"}` line per status: it is expanded before the
/// document is served, so the served document is plain OpenAPI.
enum OpenAPIDocument {
    static let yaml = expand(source)

    /// `source` with every `problems: [...]` line expanded.
    static func expand(_ source: String) -> String {
        source.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = line.drop { $0 == " " }
            guard text.hasPrefix("problems: ["), text.hasSuffix("]") else { return String(line) }
            let indent = String(repeating: " ", count: line.count - text.count)
            return text.dropFirst("problems: [".count).dropLast().split(separator: ",")
                .map { "\(indent)\"\($0.trimmingCharacters(in: .whitespaces))\": {$ref: \"#/components/responses/Problem\"}" }
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    private static let source = #"""
openapi: 3.1.0
info:
  title: Tracemark
  version: "1"
  description: |
    Lot and serial numbers from scan to label: resolve scans, feed stations, render labels,
    follow printers and jobs. Every operation but the health checks, this document and the
    sign-in needs `Authorization: Bearer <token>`: an API token (tracemark token create --name NAME
    --role ROLE), or an operator's session from POST /api/v1/sessions (badge or PIN), which acts
    at its own station only. The role each needs is in `x-tracemark-role` (viewer < operator <
    supervisor < admin). Errors are RFC 9457
    problem documents with a stable `code`. Every POST but the sign-in takes an `Idempotency-Key`:
    the first answer is replayed for 24 hours.
servers:
  - url: /
security:
  - bearer: []
tags:
  - name: health
  - name: resolve
  - name: stations
  - name: scans
  - name: printing
  - name: templates
  - name: tokens
  - name: sessions
  - name: registry
  - name: traceability
paths:
  /api/v1/healthz:
    get:
      operationId: healthz
      tags: [health]
      summary: The process is alive.
      security: []
      x-tracemark-role: none
      responses:
        "200":
          description: Alive.
          content:
            application/json:
              schema: {type: object, required: [status], properties: {status: {type: string, const: alive}}}
  /api/v1/readyz:
    get:
      operationId: readyz
      tags: [health]
      summary: The database answers, and takes writes (no other connection's lock holds the tables scans write).
      security: []
      x-tracemark-role: none
      responses:
        "200":
          description: Ready.
          content:
            application/json:
              schema: {type: object, required: [status, database], properties: {status: {type: string}, database: {type: string}}}
        problems: [503]
  /api/v1/openapi.yaml:
    get:
      operationId: openapi
      tags: [health]
      summary: This document.
      security: []
      x-tracemark-role: none
      responses:
        "200":
          description: The OpenAPI document.
          content:
            application/yaml:
              schema: {type: string}
  /api/v1/resolve:
    get:
      operationId: resolve
      tags: [resolve]
      summary: Parse and resolve a scan, with no side effects.
      x-tracemark-role: viewer
      parameters:
        - {name: code, in: query, required: true, schema: {type: string, minLength: 1}, description: "What the scanner sent: GS1 element string (bracketed or with GS), Digital Link URI, EAN/UPC, or a plain number."}
        - {name: warehouse, in: query, schema: {type: string}, description: "Stock and the pick-order check are about this warehouse; one that does not exist is 404."}
        - {name: expiryWarningDays, in: query, schema: {type: integer, minimum: 0, maximum: 100000}}
        - {name: lenient, in: query, schema: {type: string, enum: ["true", "false"]}}
      responses:
        "200":
          description: What the code is, its record, and every warning.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Resolution"}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/stations:
    get:
      operationId: listStations
      tags: [stations]
      summary: The stations of this service and their open tasks.
      x-tracemark-role: viewer
      responses:
        "200":
          description: Every station.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/StationState"}}
        problems: [401, 503]
  /api/v1/stations/{id}:
    get:
      operationId: getStation
      tags: [stations]
      summary: One station's state and its open task with its lines.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Station"}]
      responses:
        "200":
          description: The station.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StationState"}
        problems: [401, 404, 503]
  /api/v1/stations/{id}/scans:
    post:
      operationId: postScan
      tags: [stations]
      summary: A scan at the station, as if its scanner had read it.
      description: The same scanId at the same station acts once; the answer then has replayed true. The same scanId with other data is refused (422 scan-id-reused).
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Station"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [raw]
              additionalProperties: false
              properties:
                raw: {type: string, minLength: 1, maxLength: 8192, description: "The data as read, GS as \u001d; at most 8192 characters."}
                scanId: {type: [string, "null"], minLength: 1, maxLength: 255, pattern: '^[!-~]+$'}
                symbologyId: {type: [string, "null"], pattern: "^\\][A-Za-z][0-9A-Za-z]$"}
                purpose: {type: [string, "null"], enum: [operator, verify, null], description: "verify: a production line's verify scanner read it."}
      responses:
        "200":
          description: The verdict, its reasons and the next step.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/stations/{id}/scans/{scan}/confirm:
    post:
      operationId: confirmScan
      tags: [stations]
      summary: A supervisor confirms a held-back line (a warn) with a reason.
      x-tracemark-role: supervisor
      parameters:
        - {$ref: "#/components/parameters/Station"}
        - {name: scan, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {$ref: "#/components/parameters/IdempotencyKey"}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [reason], additionalProperties: false, properties: {reason: {type: string, minLength: 1}}}
      responses:
        "200":
          description: The confirmation.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/stations/{id}/task:
    post:
      operationId: openTask
      tags: [stations]
      summary: Open a pick for a customer at a picking station, or a run at a production line.
      description: "customer opens a pick (as TM:PICK:<customer>); product and count start a production run (as TM:RUN:<product>:<count>[:<expiry>])."
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Station"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - type: object
                  required: [customer]
                  additionalProperties: false
                  properties: {customer: {type: string, pattern: "^[^:]{1,64}$"}}
                - type: object
                  required: [product, count]
                  additionalProperties: false
                  properties:
                    product: {type: string, pattern: "^[^:]{1,64}$"}
                    count: {type: integer, minimum: 1, maximum: 10000}
                    expiry: {type: string, format: date}
      responses:
        "200":
          description: "The outcome, as for a scan of TM:PICK or TM:RUN (ok or warn). One the station refuses (a task open already, an unknown product) is 409 command-refused, with the outcome in the problem's outcome."
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/products:
    get:
      operationId: listProducts
      tags: [registry]
      summary: Products, by article.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Product"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 503]
    post:
      operationId: createProduct
      tags: [registry]
      summary: Add a product.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Product"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Product"}
          links:
            GetProduct: {operationId: getProduct, parameters: {article: "$response.body#/article"}}
            ChangeProduct: {operationId: updateProduct, parameters: {article: "$response.body#/article"}}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/products/{article}:
    get:
      operationId: getProduct
      tags: [registry]
      summary: One product, with its ETag.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Article"}]
      responses:
        "200":
          description: The product.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Product"}
        problems: [400, 401, 403, 404, 503]
    put:
      operationId: updateProduct
      tags: [registry]
      summary: Change a product; needs If-Match with the ETag read.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/Article"}, {$ref: "#/components/parameters/IfMatch"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Product"}
      responses:
        "200":
          description: The product as changed, with its new ETag.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Product"}
        problems: [400, 401, 403, 404, 409, 412, 413, 422, 428, 503]
  /api/v1/products/{article}/lots/{number}:
    get:
      operationId: getLot
      tags: [registry]
      summary: One lot or serial, with its ETag.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Article"}, {$ref: "#/components/parameters/Number"}]
      responses:
        "200":
          description: The lot or serial.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LotSerial"}
        problems: [400, 401, 403, 404, 503]
  /api/v1/products/{article}/lots/{number}/history:
    get:
      operationId: lotHistory
      tags: [registry]
      summary: Everything that happened to a lot or serial, what it was made from and went into, and its stock.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Article"}, {$ref: "#/components/parameters/Number"}]
      responses:
        "200":
          description: The history.
          content:
            application/json:
              schema: {type: object, required: [lotSerial, entries, madeFrom, usedIn, stock]}
        problems: [400, 401, 403, 404, 503]
  /api/v1/trace/{article}/{number}:
    get:
      operationId: trace
      tags: [traceability]
      summary: Where a lot or serial went (forward, to its customers) or came from (backward, to its suppliers), through production and splits.
      x-tracemark-role: viewer
      parameters:
        - {$ref: "#/components/parameters/Article"}
        - {$ref: "#/components/parameters/Number"}
        - {name: direction, in: query, schema: {type: string, enum: [forward, backward]}}
        - {name: depth, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
        - {name: format, in: query, schema: {type: string, enum: [json, dot]}}
      responses:
        "200":
          description: The tree (format=dot for Graphviz).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/TraceTree"}
            text/vnd.graphviz:
              schema: {type: string}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/reports/expiry:
    get:
      operationId: expiryReport
      tags: [traceability]
      summary: What expires within a number of days (and what has expired) in stock per warehouse, and with includeSold what customers received of it.
      x-tracemark-role: viewer
      parameters:
        - {name: within, in: query, required: true, schema: {type: integer, minimum: 0, maximum: 36500}}
        - {name: includeSold, in: query, schema: {type: boolean}}
        - {name: warehouse, in: query, schema: {type: string}}
        - {name: product, in: query, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      responses:
        "200":
          description: The report, on the server's today (UTC).
          content:
            application/json:
              schema:
                type: object
                required: [today, within, stock]
                properties:
                  today: {type: string}
                  within: {type: integer}
                  stock:
                    type: array
                    items:
                      type: object
                      required: [product, warehouse, number, kind, quantity, unit, status, expiry, daysLeft, expired]
                      properties:
                        product: {type: string}
                        warehouse: {type: string}
                        number: {type: string}
                        kind: {type: string}
                        quantity: {type: number}
                        unit: {type: string}
                        status: {type: string}
                        expiry: {type: string}
                        daysLeft: {type: integer}
                        expired: {type: boolean}
                        recall: {type: integer, description: "A recall not closed that affects the lot."}
                  sold: {type: [array, "null"], items: {type: object}}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 503]
  /api/v1/reports/movements:
    get:
      operationId: movementReport
      tags: [traceability]
      summary: The stock statement of a period (document dates, both days included) per product, warehouse and lot/serial, between its opening and closing balance; stock that did not move is listed with no rows. A kind or partner filter lists only its movements and the lots that have some, their balances still the whole stock.
      x-tracemark-role: viewer
      parameters:
        - {name: from, in: query, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: to, in: query, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: product, in: query, schema: {type: string}}
        - {name: number, in: query, schema: {type: string}}
        - {name: warehouse, in: query, schema: {type: string}}
        - {name: partner, in: query, schema: {type: string}}
        - {name: kind, in: query, schema: {type: string, enum: [receipt, issue, transfer, production, return, write-off, split, assignment]}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      responses:
        "200":
          description: The statement.
          content:
            application/json:
              schema:
                type: object
                required: [from, through, groups]
                properties:
                  from: {type: string}
                  through: {type: string}
                  groups:
                    type: array
                    items:
                      type: object
                      required: [product, warehouse, unit, opening, rows, closing]
                      properties:
                        product: {type: string}
                        warehouse: {type: string}
                        number: {type: [string, "null"]}
                        unit: {type: string}
                        opening: {type: number}
                        closing: {type: number}
                        rows:
                          type: array
                          items:
                            type: object
                            required: [date, document, kind, quantity, posted]
                            properties:
                              date: {type: string}
                              document: {type: string}
                              kind: {type: string}
                              partner: {type: [string, "null"]}
                              quantity: {type: number}
                              override: {type: [string, "null"]}
                              posted: {type: string}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/reports/balance:
    get:
      operationId: balanceReport
      tags: [traceability]
      summary: What was in stock at the end of a day per product, warehouse and lot/serial, rebuilt from the ledger by document dates.
      x-tracemark-role: viewer
      parameters:
        - {name: at, in: query, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: product, in: query, schema: {type: string}}
        - {name: warehouse, in: query, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      responses:
        "200":
          description: The stock on that day.
          content:
            application/json:
              schema:
                type: object
                required: [at, lines]
                properties:
                  at: {type: string}
                  lines: {type: array, items: {$ref: "#/components/schemas/StockBalance"}}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/reports/valuation:
    get:
      operationId: valuationReport
      tags: [traceability]
      summary: What stock was worth at the end of a day per product, warehouse and lot/serial, at cost (each lot or serial at its own cost), rebuilt from the ledger.
      x-tracemark-role: viewer
      parameters:
        - {name: at, in: query, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: product, in: query, schema: {type: string}}
        - {name: warehouse, in: query, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      responses:
        "200":
          description: The stock and its value on that day.
          content:
            application/json:
              schema:
                type: object
                required: [at, lines, total]
                properties:
                  at: {type: string}
                  total: {type: number}
                  lines:
                    type: array
                    items:
                      type: object
                      required: [product, warehouse, quantity, unit, value]
                      properties:
                        product: {type: string}
                        warehouse: {type: string}
                        number: {type: [string, "null"]}
                        quantity: {type: number}
                        unit: {type: string}
                        value: {type: number}
                        unitCost: {type: [number, "null"]}
                        costMissing: {type: boolean, description: "It holds goods received without a unit cost (or made from them), counted at 0."}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/periods:
    get:
      operationId: listPeriods
      tags: [traceability]
      summary: The closed months, newest first, each with the number of stock rows of its kept closing balance.
      x-tracemark-role: viewer
      responses:
        "200":
          description: The closed periods.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/ClosedPeriod"}}
        problems: [401, 403, 503]
  /api/v1/periods/{period}/close:
    post:
      operationId: closePeriod
      tags: [traceability]
      summary: Closes a month (YYYY-MM) and every day before it for postings, keeping its closing stock and value. Refused before the month has ended, or when it is closed already.
      x-tracemark-role: supervisor
      parameters:
        - {name: period, in: path, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
      responses:
        "201":
          description: The period, closed.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ClosedPeriod"}
        problems: [401, 403, 409, 422, 503]
  /api/v1/periods/{period}/reopen:
    post:
      operationId: reopenPeriod
      tags: [traceability]
      summary: Reopens the newest closed month (YYYY-MM) for postings, to correct it, with a reason. Its kept closing balance is dropped; the reopening is kept with the closing it undid. Months are reopened newest first (409 names the one to reopen first).
      x-tracemark-role: supervisor
      parameters:
        - {name: period, in: path, required: true, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$"}}
        - {$ref: "#/components/parameters/IdempotencyKey"}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, additionalProperties: false, required: [reason], properties: {reason: {type: string, minLength: 1, maxLength: 500}}}
      responses:
        "200":
          description: The period, reopened; exportedDocuments counts its documents already exported to accounting.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ReopenedPeriod"}
        problems: [400, 401, 403, 409, 422, 503]
  /api/v1/period-reopenings:
    get:
      operationId: listPeriodReopenings
      tags: [traceability]
      summary: Every reopening of a closed month, newest first, with who closed it, who reopened it and why.
      x-tracemark-role: viewer
      responses:
        "200":
          description: The reopenings.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/ReopenedPeriod"}}
        problems: [401, 403, 503]
  /api/v1/recalls:
    get:
      operationId: listRecalls
      tags: [traceability]
      summary: Every recall, newest first.
      x-tracemark-role: viewer
      responses:
        "200":
          description: The recalls.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Recall"}}
        problems: [401, 403, 503]
    post:
      operationId: openRecall
      tags: [traceability]
      summary: Open a recall of lots or serials of a product; the affected set is they and everything made from them, at any depth.
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [product, numbers, reason]
              properties:
                product: {type: string, minLength: 1}
                numbers: {type: array, minItems: 1, maxItems: 1000, items: {type: string, minLength: 1}}
                reason: {type: string, minLength: 1}
      responses:
        "201":
          description: The recall, with its affected lots.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Recall"}
          links:
            GetRecall: {operationId: getRecall, parameters: {id: "$response.body#/id"}}
            HoldRecall: {operationId: holdRecall, parameters: {id: "$response.body#/id"}}
            CloseRecall: {operationId: closeRecall, parameters: {id: "$response.body#/id"}}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/recalls/{id}:
    get:
      operationId: getRecall
      tags: [traceability]
      summary: A recall, its affected stock per warehouse, and its customer exposure list (format=csv for the list alone).
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Recall"}, {name: format, in: query, schema: {type: string, enum: [json, csv]}}]
      responses:
        "200":
          description: The recall's report.
          content:
            application/json:
              schema:
                type: object
                required: [recall, stock, exposure, holdings]
                properties:
                  recall: {$ref: "#/components/schemas/Recall"}
                  stock: {type: array, items: {$ref: "#/components/schemas/StockBalance"}}
                  holdings:
                    description: What each customer still holds of each affected lot or serial (delivered less returned), more than zero.
                    type: array
                    items:
                      type: object
                      required: [customerName, product, number, quantity, unit]
                      properties:
                        customer: {type: [string, "null"], description: "Absent: issued without a customer (the goods left; to whom is not recorded)."}
                        customerName: {type: string}
                        contact: {type: [string, "null"]}
                        email: {type: [string, "null"]}
                        phone: {type: [string, "null"]}
                        product: {type: string}
                        number: {type: string}
                        quantity: {type: number}
                        unit: {type: string}
                  exposure:
                    type: array
                    items:
                      type: object
                      required: [customerName, document, product, number, quantity, unit]
                      properties:
                        customer: {type: [string, "null"], description: "Absent: issued without a customer (the goods left; to whom is not recorded)."}
                        customerName: {type: string}
                        contact: {type: [string, "null"]}
                        email: {type: [string, "null"]}
                        phone: {type: [string, "null"]}
                        document: {type: string}
                        date: {type: [string, "null"]}
                        product: {type: string}
                        number: {type: string}
                        quantity: {type: number}
                        unit: {type: string}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 503]
  /api/v1/recalls/{id}/hold:
    post:
      operationId: holdRecall
      tags: [traceability]
      summary: Block every affected lot or serial still in stock, in one transaction (again later, what came back into stock since).
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/Recall"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      responses:
        "200":
          description: The recall, and the lots blocked now.
          content:
            application/json:
              schema:
                type: object
                required: [recall, blocked]
                properties:
                  recall: {$ref: "#/components/schemas/Recall"}
                  blocked: {type: array, items: {$ref: "#/components/schemas/RecallLot"}}
        problems: [400, 401, 403, 404, 409, 503]
  /api/v1/recalls/{id}/close:
    post:
      operationId: closeRecall
      tags: [traceability]
      summary: End a recall with a note of what was done (its blocked lots stay blocked).
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/Recall"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, additionalProperties: false, required: [note], properties: {note: {type: string, minLength: 1}}}
      responses:
        "200":
          description: The closed recall.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Recall"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/products/{article}/lots/{number}/status:
    post:
      operationId: changeLotStatus
      tags: [registry]
      summary: Quarantine, block or release a lot or serial, with a reason; needs If-Match with the ETag read.
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/Article"}, {$ref: "#/components/parameters/Number"}, {$ref: "#/components/parameters/IfMatch"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [status, reason]
              properties:
                status: {type: string, enum: [available, quarantined, blocked]}
                reason: {type: string, minLength: 1}
      responses:
        "200":
          description: The lot or serial as changed, with its new ETag.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LotSerial"}
        problems: [400, 401, 403, 404, 409, 412, 413, 422, 428, 503]
  /api/v1/classes:
    get:
      operationId: listClasses
      tags: [registry]
      summary: Lot/serial classes.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/LotSerialClass"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 503]
    post:
      operationId: createClass
      tags: [registry]
      summary: Add a lot/serial class.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/LotSerialClass"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/LotSerialClass"}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/series:
    get:
      operationId: listSeries
      tags: [registry]
      summary: Named number series.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/NumberSeries"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 503]
  /api/v1/warehouses:
    get:
      operationId: listWarehouses
      tags: [registry]
      summary: Warehouses.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Warehouse"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 503]
    post:
      operationId: createWarehouse
      tags: [registry]
      summary: Add a warehouse.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Warehouse"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Warehouse"}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/partners:
    get:
      operationId: listPartners
      tags: [registry]
      summary: Suppliers and customers.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Partner"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 503]
    post:
      operationId: createPartner
      tags: [registry]
      summary: Add a supplier or customer.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Partner"}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Partner"}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/lots:
    get:
      operationId: findLots
      tags: [registry]
      summary: Find lots and serials by part of the number, product, status or expiry.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {$ref: "#/components/parameters/Cursor"}, {name: text, in: query, schema: {type: string}}, {name: product, in: query, schema: {type: string}}, {name: status, in: query, schema: {type: string, enum: [available, quarantined, blocked, consumed, shipped, written-off, voided]}}, {name: expiresFrom, in: query, schema: {type: string, pattern: "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$"}}, {name: expiresThrough, in: query, schema: {type: string, pattern: "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$"}}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/LotSerial"}}
                  nextCursor: {type: [string, "null"]}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/stock:
    get:
      operationId: listStock
      tags: [registry]
      summary: Stock per product, warehouse and lot/serial, a page at a time by the last row's key; format=csv for a spreadsheet (all of it without a limit; with one, a page and a Link header to the next).
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Limit"}, {name: cursor, in: query, schema: {type: string, pattern: "^[A-Za-z0-9_-]{1,2048}$"}, description: "The nextCursor of the page before (opaque); one the server did not give out is refused with 422."}, {name: product, in: query, schema: {type: string}}, {name: warehouse, in: query, schema: {type: string}}, {name: format, in: query, schema: {type: string, enum: [json, csv]}}]
      responses:
        "200":
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/StockBalance"}}
                  nextCursor: {type: [string, "null"]}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/products/{article}/proposal:
    get:
      operationId: proposal
      tags: [registry]
      summary: The lots or serials an issue of a quantity would take, in the class's issue order (the customer's minimum shelf life applies).
      x-tracemark-role: viewer
      parameters:
        - {$ref: "#/components/parameters/Article"}
        - {name: warehouse, in: query, required: true, schema: {type: string, minLength: 1}}
        - {name: quantity, in: query, schema: {type: string, pattern: '^[0-9]+(\.[0-9]+)?$'}}
        - {name: customer, in: query, schema: {type: string}}
        - {name: exclude, in: query, description: "Numbers already picked on another document, comma-separated (at most 1000).", schema: {type: string}}
        - {name: date, in: query, description: "The issue's date, when dated back: only what the warehouse held that day and every day since is proposed (default today).", schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: minShelfLife, in: query, description: "Least shelf life in days for this order (default the customer's).", schema: {type: integer, minimum: 0, maximum: 36500}}
      responses:
        "200":
          description: What to take, first to last; when that is less than asked, the shortfall and why, by reason.
          content:
            application/json:
              schema:
                type: object
                required: [product, warehouse, unit, asked, picks, numberedOnIssue, shortfall, withheld]
                properties:
                  product: {type: string}
                  warehouse: {type: string}
                  unit: {type: string}
                  asked: {type: number}
                  numberedOnIssue: {type: number, description: "For a class that numbers on use, what the issue takes from stock without a number after the picks."}
                  shortfall: {type: number}
                  picks:
                    type: array
                    items:
                      type: object
                      required: [number, quantity]
                      properties:
                        number: {type: string}
                        quantity: {type: number}
                        expiry: {type: [string, "null"]}
                        daysLeft: {type: [integer, "null"]}
                        received: {type: [string, "null"], description: "The receipt's document date."}
                  withheld:
                    type: array
                    items:
                      type: object
                      required: [reason, warehouse, quantity, numbers]
                      properties:
                        reason: {type: string, enum: [expired, quarantined, blocked, recalled, short-shelf-life, excluded, unnumbered, other-warehouse, not-held-then]}
                        warehouse: {type: string}
                        quantity: {type: number}
                        numbers: {type: array, items: {type: string}}
        problems: [400, 401, 404, 422, 503]
  /api/v1/documents/{kind}:
    post:
      operationId: postDocument
      tags: [registry]
      summary: Post a stock document of a kind, whole or not at all.
      description: "receipt (warehouse, supplier, lines), issue (warehouse, customer, lines), transfer (from, to, lines), production (warehouse, inputs, outputs), return (warehouse, customer, lines), write-off (warehouse, reason, lines). acceptExpired, allowExpired, allowQuarantined and allowRecalled are a supervisor's overrides. A field of the body that the kind does not take (to on a receipt, addedCost on an issue) is refused with 422, naming it."
      x-tracemark-role: operator
      parameters:
        - {name: kind, in: path, required: true, schema: {type: string, enum: [receipt, issue, transfer, production, return, write-off]}}
        - {$ref: "#/components/parameters/IdempotencyKey"}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/DocumentBody"}
      responses:
        "201":
          description: The document as posted, with every movement.
          content:
            application/json:
              schema: {type: object, required: [kind, number, date, movements]}
        problems: [400, 401, 403, 404, 409, 413, 422, 503]
  /api/v1/documents:
    get:
      operationId: listDocuments
      tags: [registry]
      summary: The journal of posted documents, newest first; each filter narrows it (warehouse, either side of a transfer; product and number, documents with such a line).
      x-tracemark-role: viewer
      parameters:
        - {name: kind, in: query, schema: {type: string, enum: [receipt, issue, transfer, production, return, write-off, split, assignment]}}
        - {name: from, in: query, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: to, in: query, schema: {type: string, pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}}
        - {name: partner, in: query, schema: {type: string}}
        - {name: warehouse, in: query, schema: {type: string}}
        - {name: product, in: query, schema: {type: string}}
        - {name: number, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
        - {$ref: "#/components/parameters/Cursor"}
      responses:
        "200":
          description: "The documents' headers and line counts; a full page has a Link header (rel=\"next\") to the older ones after it."
          headers: {Link: {schema: {type: string}}}
          content:
            application/json:
              schema:
                type: array
                items:
                  type: object
                  required: [kind, number, date, reason, user, postedAt, lines, cursor]
                  properties:
                    kind: {type: string}
                    number: {type: string}
                    date: {type: string}
                    partner: {type: [string, "null"]}
                    warehouse: {type: [string, "null"]}
                    toWarehouse: {type: [string, "null"]}
                    reason: {type: string}
                    user: {type: string}
                    postedAt: {type: string}
                    lines: {type: integer}
                    cursor: {type: integer}
        problems: [400, 401, 404, 422, 503]
  /api/v1/documents/{kind}/{number}:
    get:
      operationId: getDocument
      tags: [registry]
      summary: One posted document with every movement, by its kind and number (RCT-000001).
      x-tracemark-role: viewer
      parameters:
        - {name: kind, in: path, required: true, schema: {type: string, enum: [receipt, issue, transfer, production, return, write-off, split, assignment]}}
        - {name: number, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The document.
          content:
            application/json:
              schema: {type: object, required: [kind, number, date, movements]}
        problems: [400, 401, 404, 503]
  /api/v1/sessions:
    post:
      operationId: signIn
      tags: [sessions]
      summary: An operator signs in at a station with a badge or a PIN.
      description: "The answer's token (tms_…) is a session bound to the station, with the operator's role (operator or supervisor), for 12 hours or until sign-out. Failed attempts slow the station's next ones down: 429 with Retry-After. The one POST without an Idempotency-Key: its answer holds a secret that is kept nowhere but as its hash, so a retry signs in again (a second session)."
      security: []
      x-tracemark-role: none
      requestBody:
        required: true
        content:
          application/json:
            schema:
              oneOf:
                - type: object
                  required: [station, badge]
                  additionalProperties: false
                  properties: {station: {type: string}, badge: {type: string, minLength: 1, maxLength: 64}}
                - type: object
                  required: [station, pin]
                  additionalProperties: false
                  properties: {station: {type: string}, pin: {type: string, pattern: "^[0-9]{4,12}$"}}
      responses:
        "201":
          description: Signed in.
          content:
            application/json:
              schema:
                type: object
                required: [token, session]
                properties:
                  token: {type: string}
                  session: {$ref: "#/components/schemas/Session"}
        problems: [400, 401, 404, 409, 413, 415, 422, 429, 503]
  /api/v1/sessions/current:
    get:
      operationId: getSession
      tags: [sessions]
      summary: The caller's session, when the token is an operator's session.
      x-tracemark-role: operator
      responses:
        "200":
          description: The session.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Session"}
        problems: [401, 403, 404, 503]
    delete:
      operationId: signOut
      tags: [sessions]
      summary: Ends the caller's session.
      x-tracemark-role: operator
      responses:
        "200":
          description: Signed out.
          content:
            application/json:
              schema: {type: object, required: [signedOut], properties: {signedOut: {type: boolean}}}
        problems: [401, 403, 404, 503]
  /api/v1/stations/{id}/runs/{run}:
    get:
      operationId: getRun
      tags: [stations]
      summary: "A production run's report: each label printed, verified, voided or missing, and the component lots."
      x-tracemark-role: viewer
      parameters:
        - {$ref: "#/components/parameters/Station"}
        - {name: run, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: The run.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/RunReport"}
        problems: [400, 401, 404, 503]
  /api/v1/stations/{id}/task/complete:
    post:
      operationId: completeTask
      tags: [stations]
      summary: Complete the open task (post the receipt or the issue), as TM:DONE does.
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Station"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      responses:
        "200":
          description: "The outcome (ok or warn). A posting the station refuses (a line waiting for a confirmation, nothing to post) is 409 command-refused, with the outcome, saying what stops it, in the problem's outcome."
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 503]
  /api/v1/stations/{id}/task/cancel:
    post:
      operationId: cancelTask
      tags: [stations]
      summary: Cancel the open task, as TM:CANCEL does.
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Station"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      responses:
        "200":
          description: "The outcome (ok or warn); one the station refuses is 409 command-refused, with the outcome in the problem's outcome."
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 503]
  /api/v1/stations/{id}/task/lines/{line}:
    delete:
      operationId: removeTaskLine
      tags: [stations]
      summary: Take one line off the open receipt or pick (a wrong item or quantity scanned), as TM:UNDO does for the last line. Its label is cancelled if not printed yet; one printed already is named in a warning, to be taken off the item.
      x-tracemark-role: operator
      parameters:
        - {$ref: "#/components/parameters/Station"}
        - {name: line, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {$ref: "#/components/parameters/IdempotencyKey"}
      responses:
        "200":
          description: "The outcome (ok or warn); one the station refuses is 409 command-refused, with the outcome in the problem's outcome."
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ScanOutcome"}
        problems: [400, 401, 403, 404, 409, 503]
  /api/v1/scans:
    get:
      operationId: listScans
      tags: [scans]
      summary: The scan log, newest first, a page at a time.
      x-tracemark-role: viewer
      parameters:
        - {name: station, in: query, schema: {type: string}}
        - {name: verdict, in: query, schema: {type: string, enum: [ok, warn, block]}}
        - {$ref: "#/components/parameters/Limit"}
        - {$ref: "#/components/parameters/Cursor"}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      responses:
        "200":
          description: One page; nextCursor (or a Link header for CSV) leads to the next.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/LoggedScan"}}
                  nextCursor: {type: [string, "null"]}
            text/csv:
              schema: {type: string}
        problems: [400, 401, 404, 503]
  /api/v1/printers:
    get:
      operationId: listPrinters
      tags: [printing]
      summary: The printers, their last known state and their queues.
      x-tracemark-role: viewer
      responses:
        "200":
          description: Every printer.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Printer"}}
        problems: [401, 503]
  /api/v1/printers/{name}:
    get:
      operationId: getPrinter
      tags: [printing]
      summary: One printer, its last known state and queue, with the ETag of its configuration.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/PrinterName"}]
      responses:
        "200":
          description: The printer.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Printer"}
        problems: [400, 401, 403, 404, 503]
    put:
      operationId: putPrinter
      tags: [printing]
      summary: Add a printer (201), or replace its configuration (200, with If-Match); its URI is set only by an admin.
      description: "A running service starts a worker for a printer added here within seconds."
      x-tracemark-role: admin
      parameters:
        - {$ref: "#/components/parameters/PrinterName"}
        - {name: If-Match, in: header, description: "Needed to replace an existing printer: the ETag read (428 without, 412 when stale).", schema: {type: string}}
        - {$ref: "#/components/parameters/IdempotencyKey"}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [uri, language]
              additionalProperties: false
              properties:
                uri: {type: string, minLength: 1, description: "tcp://host:9100, cups://queue, file:folder, …"}
                language: {type: string, enum: [zpl, epl, png]}
                dpi: {type: [integer, "null"], enum: [152, 203, 300, 600, null]}
                widthMillimetres: {type: [number, "null"], exclusiveMinimum: 0, maximum: 2000}
                lengthMillimetres: {type: [number, "null"], exclusiveMinimum: 0, maximum: 2000}
      responses:
        "200":
          description: The printer as replaced.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Printer"}
          links:
            GetPrinter: {operationId: getPrinter, parameters: {name: "$response.body#/name"}}
            PrinterStatus: {operationId: printerStatus, parameters: {name: "$response.body#/name"}}
        "201":
          description: The printer as added.
          headers: {ETag: {schema: {type: string}}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Printer"}
          links:
            GetPrinter: {operationId: getPrinter, parameters: {name: "$response.body#/name"}}
            PrinterStatus: {operationId: printerStatus, parameters: {name: "$response.body#/name"}}
        problems: [400, 401, 403, 404, 409, 412, 413, 422, 428, 503]
    delete:
      operationId: deletePrinter
      tags: [printing]
      summary: Remove a printer that has no unfinished jobs (its finished jobs and their history are kept); needs If-Match.
      x-tracemark-role: admin
      parameters: [{$ref: "#/components/parameters/PrinterName"}, {$ref: "#/components/parameters/IfMatch"}]
      responses:
        "200":
          description: Removed.
          content:
            application/json:
              schema: {type: object, required: [removed], properties: {removed: {type: string}}}
        problems: [400, 401, 403, 404, 409, 412, 422, 428, 503]
  /api/v1/printers/{name}/status:
    get:
      operationId: printerStatus
      tags: [printing]
      summary: Ask the printer now (~HS on a ZPL printer, the queue's state on CUPS) and record what it says.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/PrinterName"}]
      responses:
        "200":
          description: What the printer answered, or that it did not.
          content:
            application/json:
              schema:
                type: object
                required: [answered, message, conditions, at]
                properties:
                  answered: {type: boolean}
                  message: {type: string}
                  conditions: {type: array, items: {type: string}}
                  formatsInBuffer: {type: integer, description: "ZPL: formats received and not yet printed."}
                  labelsRemaining: {type: integer, description: "ZPL: labels of the current batch still to print."}
                  labelCounter: {type: integer, description: "The printer's own count of labels printed, where it keeps one."}
                  at: {type: string, format: date-time, description: "When the printer was asked."}
        problems: [400, 401, 403, 404, 503]
  /api/v1/jobs:
    get:
      operationId: listJobs
      tags: [printing]
      summary: Print jobs, newest first, of one printer or all, in the states asked for.
      x-tracemark-role: viewer
      parameters:
        - {name: printer, in: query, schema: {type: string}}
        - {name: state, in: query, description: "Comma-separated job states.", schema: {type: string, pattern: '^((queued|sending|printing|done|failed|held|cancelled),)*(queued|sending|printing|done|failed|held|cancelled)?$'}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
        - {$ref: "#/components/parameters/Cursor"}
      responses:
        "200":
          description: "The jobs; a full page has a Link header (rel=\"next\") to the older ones after it."
          headers: {Link: {schema: {type: string}}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Job"}}
        problems: [400, 401, 503]
    post:
      operationId: createJob
      tags: [printing]
      summary: Print a label from a template on a printer (rendered, read back, queued).
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [template, printer]
              properties:
                template: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*){0,3}$'}
                printer: {type: string, minLength: 1}
                copies: {type: [integer, "null"], minimum: 1, maximum: 10000}
                reason: {type: [string, "null"]}
                data: {type: [object, "null"]}
                product: {type: [string, "null"]}
                lot: {type: [string, "null"]}
                serial: {type: [string, "null"]}
                sample: {type: [boolean, "null"], description: "Print the template's sample data as a test label; without data or product the request is refused unless this is true."}
              additionalProperties: false
      responses:
        "201":
          description: The queued job.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
          links:
            GetJob: {operationId: getJob, parameters: {id: "$response.body#/id"}}
            CancelJob: {operationId: cancelJob, parameters: {id: "$response.body#/id"}}
            RetryJob: {operationId: retryJob, parameters: {id: "$response.body#/id"}}
            ReprintJob: {operationId: reprintJob, parameters: {id: "$response.body#/id"}}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/jobs/{id}/retry:
    post:
      operationId: retryJob
      tags: [printing]
      summary: Put a held, failed or cancelled job back in its queue.
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Job"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      responses:
        "200":
          description: The job.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/jobs/{id}/cancel:
    post:
      operationId: cancelJob
      tags: [printing]
      summary: Cancel a job that has not printed.
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/Job"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      responses:
        "200":
          description: The job.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/jobs/{id}/move:
    post:
      operationId: moveJob
      tags: [printing]
      summary: Move a job that has not printed to another printer of its language; it goes to the back of that printer's queue as a new job, and the old one is cancelled, its history naming the new one.
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Job"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [printer], additionalProperties: false, properties: {printer: {type: string, minLength: 1}}}
      responses:
        "201":
          description: The new job the labels wait in (its history says which job it was moved from).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/jobs/{id}/reprint:
    post:
      operationId: reprintJob
      tags: [printing]
      summary: Print a done, held or cancelled job again, with the reason.
      x-tracemark-role: supervisor
      parameters: [{$ref: "#/components/parameters/Job"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [reason], additionalProperties: false, properties: {reason: {type: string, pattern: "\\S"}, printer: {type: [string, "null"]}}}
      responses:
        "201":
          description: The job (the new one).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
          links:
            GetJob: {operationId: getJob, parameters: {id: "$response.body#/id"}}
        problems: [400, 401, 403, 404, 409, 422, 503]
  /api/v1/jobs/{id}:
    get:
      operationId: getJob
      tags: [printing]
      summary: One print job and how far it got.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Job"}]
      responses:
        "200":
          description: The job.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
        problems: [400, 401, 404, 503]
  /api/v1/jobs/{id}/history:
    get:
      operationId: jobHistory
      tags: [printing]
      summary: Each state a job entered, when, and why, oldest first.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Job"}]
      responses:
        "200":
          description: The job's history.
          content:
            application/json:
              schema:
                type: array
                items:
                  type: object
                  required: [at, state, message]
                  properties:
                    at: {type: string}
                    state: {type: string}
                    message: {type: string}
        problems: [400, 401, 404, 503]
  /api/v1/templates/{name}/render:
    post:
      operationId: renderTemplate
      tags: [templates]
      summary: A label from a template, as ZPL, EPL or PNG, every barcode read back first.
      x-tracemark-role: operator
      parameters: [{$ref: "#/components/parameters/Template"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/RenderRequest"}
      responses:
        "200":
          description: The label.
          content:
            application/vnd.zebra.zpl: {schema: {type: string}}
            application/vnd.eltron.epl: {schema: {type: string}}
            image/png: {schema: {type: string, contentMediaType: image/png}}
        problems: [400, 401, 403, 404, 422, 503]
  /api/v1/templates/{name}/preview:
    post:
      operationId: previewTemplate
      tags: [templates]
      summary: A label from a template as a PNG preview.
      x-tracemark-role: viewer
      parameters: [{$ref: "#/components/parameters/Template"}, {$ref: "#/components/parameters/IdempotencyKey"}]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/RenderRequest"}
      responses:
        "200":
          description: The label as PNG.
          content:
            image/png: {schema: {type: string, contentMediaType: image/png}}
        problems: [400, 401, 404, 422, 503]
  /api/v1/events:
    get:
      operationId: events
      tags: [stations, printing]
      summary: Server-Sent Events, live and resumable.
      description: |
        Events `scan` (a station's verdict, and the tasks scans open, post and cancel; a production
        line's verified labels), `job` (a print job's state change) and `printer` (a printer's state
        change: ready, paper-out, head-open, offline …), as `text/event-stream`. Each event's id resumes after it: send it
        back as `Last-Event-ID` after a disconnect and get every later event still in the logs. A
        comment line every 15 seconds of silence is the heartbeat. Filter with `station` or `printer`.
      x-tracemark-role: viewer
      parameters:
        - {name: station, in: query, schema: {type: string}}
        - {name: printer, in: query, schema: {type: string}}
        - {name: Last-Event-ID, in: header, schema: {type: string, pattern: '^[0-9]{1,18}\.[0-9]{1,18}(\.[0-9]{1,18}(\.[0-9a-f]{8})?)?$'}}
      responses:
        "200":
          description: The stream, until the client or the server goes.
          content:
            text/event-stream:
              schema: {type: string}
        problems: [400, 401, 404, 503]
  /api/v1/metrics:
    get:
      operationId: metrics
      tags: [health]
      summary: Prometheus metrics.
      description: |
        HTTP request durations by operation, method and status; scans by station and verdict; print
        jobs by printer and state; each printer's queue depth and last state. Scrape with a viewer
        token (`authorization: {credentials: …}` in the scrape configuration).
      x-tracemark-role: viewer
      responses:
        "200":
          description: The metrics in the Prometheus text format 0.0.4.
          content:
            text/plain:
              schema: {type: string}
        problems: [401, 503]
  /api/v1/tokens:
    get:
      operationId: listTokens
      tags: [tokens]
      summary: The API tokens (never their secrets).
      x-tracemark-role: admin
      responses:
        "200":
          description: Every token, revoked ones too.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Token"}}
        problems: [401, 403, 503]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    Station: {name: id, in: path, required: true, schema: {type: string, minLength: 1}}
    Job: {name: id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 999999999999}}
    Template:
      name: name
      in: path
      required: true
      description: "A template's path in the templates folder, with or without .yaml; a raw template's with or without .zpl or .epl (without, the one for the format asked for). A folder's / is sent as %2F: raw%2Flot-label.zpl."
      schema: {type: string, maxLength: 128, pattern: '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*){0,3}$'}
    IdempotencyKey:
      name: Idempotency-Key
      in: header
      description: "A key of the client's for this request (a UUID): the first answer is replayed for 24 hours; the same key with another request is 422, while the first runs 409."
      schema: {type: string, pattern: "^[!-~]{1,255}$"}
    Limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
    PrinterName: {name: name, in: path, required: true, schema: {type: string, minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$"}}
    Article: {name: article, in: path, required: true, schema: {type: string, minLength: 1}}
    Number: {name: number, in: path, required: true, schema: {type: string, minLength: 1}}
    Recall: {name: id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 999999999999}}
    IfMatch:
      name: If-Match
      in: header
      required: true
      description: The ETag read with GET; without it the change is refused (428), with an old one too (412).
      schema: {type: string}
    Cursor: {name: cursor, in: query, description: The nextCursor of the page before., schema: {type: string, pattern: "^[0-9]{1,18}$"}}
  responses:
    Problem:
      description: An RFC 9457 problem document.
      content:
        application/problem+json:
          schema: {$ref: "#/components/schemas/Problem"}
  schemas:
    Problem:
      type: object
      required: [type, title, status, detail, code]
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        code: {type: string, description: "Stable: not-found, forbidden, invalid-input, duplicate, conflict, locked, command-refused …"}
        instance: {type: string}
        outcome: {$ref: "#/components/schemas/ScanOutcome", description: "For command-refused: the station's outcome (its reasons, what to do next, the scan it logged)."}
    Resolution:
      type: object
      required: [subject, scan, warnings]
      properties:
        subject: {type: string}
        scan: {type: object}
        product: {type: [object, "null"]}
        lotSerial: {type: [object, "null"]}
        warnings: {type: array, items: {type: object}}
    ScanOutcome:
      type: object
      required: [station, verdict, reasons, action, next, jobs, replayed]
      properties:
        scan: {type: [integer, "null"]}
        station: {type: string}
        verdict: {type: string, enum: [ok, warn, block]}
        reasons:
          type: array
          items: {type: object, required: [code, message], properties: {code: {type: string}, message: {type: string}}}
        action: {type: string}
        next: {type: string}
        document: {type: [string, "null"]}
        jobs: {type: array, items: {type: integer}}
        resolution: {oneOf: [{$ref: "#/components/schemas/Resolution"}, {type: "null"}]}
        replayed: {type: boolean}
        confirmation: {type: [integer, "null"], description: "A confirmation's own scan log entry."}
    StationState:
      type: object
      required: [name, kind, heldHere]
      properties:
        name: {type: string}
        kind: {type: string, enum: [lookup, receiving, production, picking]}
        warehouse: {type: [string, "null"]}
        printer: {type: [string, "null"]}
        template: {type: [string, "null"], description: "The station's template by the name it was configured with, as templates/{name} takes it."}
        templateTitle: {type: [string, "null"], description: "That template's title."}
        supplier: {type: [string, "null"]}
        gsSubstitute: {type: [string, "null"], description: "What the station's wedge scanners send for GS, if not Ctrl+]."}
        heldHere: {type: boolean}
        task:
          oneOf:
            - type: "null"
            - type: object
              required: [id, kind, operatorName, openedAt, lines]
              properties:
                id: {type: integer}
                kind: {type: string}
                partner: {type: [string, "null"]}
                operatorName: {type: string, description: "Who signed in for the task, as name (badge); empty when nobody did."}
                operatorBadge: {type: [string, "null"]}
                openedAt: {type: string}
                lines:
                  type: array
                  items:
                    type: object
                    required: [id, product, serial, quantity]
                    properties:
                      id: {type: integer, description: "The line's id: DELETE …/task/lines/{line} removes it."}
                      product: {type: string}
                      number: {type: [string, "null"]}
                      serial: {type: boolean}
                      quantity: {type: number}
                      expiry: {type: [string, "null"]}
                      job: {type: [integer, "null"]}
                      scan: {type: [integer, "null"]}
                      pending: {type: [string, "null"]}
                      confirmation: {type: [string, "null"]}
                run: {$ref: "#/components/schemas/RunReport"}
    Product:
      type: object
      additionalProperties: false
      required: [article, description, unit, allowsUnknownSerials]
      properties:
        article: {type: string}
        gtin: {type: [string, "null"], pattern: "^[0-9]{8,14}$"}
        description: {type: string}
        unit: {type: string}
        lotSerialClass: {type: [string, "null"]}
        counterStart: {type: [integer, "null"], minimum: 0, maximum: 999999999999999}
        counterEnd: {type: [integer, "null"], minimum: 0, maximum: 999999999999999}
        allowsUnknownSerials: {type: boolean}
        decimals: {type: [integer, "null"], minimum: 0, maximum: 6, description: "How many decimals a quantity may have (0: whole units); when added, a unit of pieces (pcs, ea …) defaults to 0, any other to null (up to 6)."}
    LotSerialClass:
      type: object
      additionalProperties: false
      required: [code, description, tracking, tracksExpiry, issueMethod, assignment, counterScope, uniqueness, serialQuantity, autoGenerateBatchSize]
      properties:
        code: {type: string}
        description: {type: string}
        tracking: {type: string, enum: [lot, serial]}
        tracksExpiry: {type: boolean}
        issueMethod: {type: string, enum: [fifo, lifo, sequential, expiration, manual]}
        format: {type: [string, "null"]}
        assignment: {type: string, enum: [receipt, use]}
        counterScope: {type: string, enum: [shared, product]}
        counterSeries: {type: [string, "null"]}
        uniqueness: {type: string, enum: [product, global]}
        serialQuantity: {type: string, enum: [unique, multiple]}
        autoGenerateBatchSize: {type: integer, minimum: 1, maximum: 1000000}
    NumberSeries:
      type: object
      required: [code, description, format, start, next, builtIn, purpose]
      properties:
        code: {type: string}
        description: {type: string}
        format: {type: string}
        start: {type: integer}
        next: {type: integer}
        builtIn: {type: boolean}
        purpose: {type: string, enum: [document, counter]}
    Warehouse:
      type: object
      additionalProperties: false
      required: [code, name]
      properties:
        code: {type: string}
        name: {type: string}
    Partner:
      type: object
      additionalProperties: false
      required: [code, name, role]
      properties:
        code: {type: string}
        name: {type: string}
        role: {type: string, enum: [supplier, customer, both]}
        minimumShelfLifeDays: {type: [integer, "null"], minimum: 0, maximum: 36500}
        contact: {type: [string, "null"], maxLength: 200}
        email: {type: [string, "null"], maxLength: 200}
        phone: {type: [string, "null"], maxLength: 50}
    LotSerial:
      type: object
      required: [product, kind, number, status]
      properties:
        product: {type: string}
        kind: {type: string, enum: [lot, serial]}
        number: {type: string}
        expiry: {type: [string, "null"]}
        production: {type: [string, "null"]}
        status: {type: string, enum: [available, quarantined, blocked, consumed, shipped, written-off, voided]}
        attributes:
          type: array
          description: Its attributes (test results, a supplier's batch), by name; in lists too.
          items:
            type: object
            required: [name, value]
            properties:
              name: {type: string}
              value: {type: object, required: [type, value], properties: {type: {type: string, enum: [text, number, date]}, value: {type: string}}}
        attachments:
          type: array
          description: Its files (certificates), without their bytes.
          items:
            type: object
            required: [id, fileName, mediaType, size, sha256]
            properties:
              id: {type: integer}
              fileName: {type: string}
              mediaType: {type: string}
              size: {type: integer}
              sha256: {type: string}
              createdAt: {type: string}
    TraceNode:
      type: object
      required: [product, number, kind, status, unit, parties, children, seenAbove, cutOff]
      properties:
        product: {type: string}
        number: {type: string}
        kind: {type: string, enum: [lot, serial]}
        status: {type: string}
        expiry: {type: [string, "null"]}
        unit: {type: string, description: "The unit its quantities are counted in."}
        via: {type: [string, "null"], description: "The production document, or split."}
        consumed: {type: [number, "null"], description: "Through a production: how much of its input (the lot above going forward, this one going backward) it consumed on the input lines the output was made of, in the input's unit."}
        consumedUnit: {type: [string, "null"], description: "The unit consumed is counted in: the input's (the lot above going forward, this one going backward)."}
        shared: {type: [boolean, "null"], description: "Through a production: those input lines also went into other outputs, so consumed is what they consumed for all of them."}
        made: {type: [number, "null"], description: "Through a production: how much of its output (this lot going forward, the lot above going backward) it made, in the output's unit."}
        madeUnit: {type: [string, "null"], description: "The unit made is counted in: the output's (this lot going forward, the lot above going backward)."}
        parties:
          type: array
          items:
            type: object
            required: [partnerName, what, document, warehouse, quantity]
            properties:
              partner: {type: [string, "null"], description: "Absent: the document named no customer or supplier."}
              partnerName: {type: string}
              what: {type: string, enum: [issue, return, receipt, receipt-unnumbered]}
              document: {type: string}
              date: {type: [string, "null"]}
              warehouse: {type: string}
              quantity: {type: number}
        children: {type: array, items: {$ref: "#/components/schemas/TraceNode"}}
        seenAbove: {type: boolean}
        cutOff: {type: boolean}
    TraceTree:
      type: object
      required: [direction, depth, root, count, partners]
      properties:
        direction: {type: string, enum: [forward, backward]}
        depth: {type: integer}
        root: {$ref: "#/components/schemas/TraceNode"}
        count: {type: integer}
        partners: {type: array, items: {type: string}}
    RecallLot:
      type: object
      required: [product, number, kind, status, seed, depth]
      properties:
        product: {type: string}
        number: {type: string}
        kind: {type: string, enum: [lot, serial]}
        status: {type: string}
        seed: {type: boolean}
        depth: {type: integer}
    Recall:
      type: object
      required: [id, reason, state, openedBy, openedAt, note, lots]
      properties:
        id: {type: integer}
        reason: {type: string}
        state: {type: string, enum: [open, held, closed]}
        openedBy: {type: string}
        openedAt: {type: string}
        heldBy: {type: [string, "null"]}
        heldAt: {type: [string, "null"]}
        closedBy: {type: [string, "null"]}
        closedAt: {type: [string, "null"]}
        note: {type: string}
        lots: {type: array, items: {$ref: "#/components/schemas/RecallLot"}}
    ClosedPeriod:
      type: object
      required: [period, lastDay, closedBy, closedAt, balances]
      properties:
        period: {type: string}
        lastDay: {type: string}
        closedBy: {type: string}
        closedAt: {type: string}
        balances: {type: integer}
    ReopenedPeriod:
      type: object
      required: [period, lastDay, closedBy, closedAt, reopenedBy, reopenedAt, reason]
      properties:
        period: {type: string}
        lastDay: {type: string}
        closedBy: {type: string}
        closedAt: {type: string}
        reopenedBy: {type: string}
        reopenedAt: {type: string}
        reason: {type: string}
        exportedDocuments: {type: [integer, "null"]}
        closedThrough: {type: [string, "null"]}
    StockBalance:
      type: object
      required: [product, warehouse, quantity, unit]
      properties:
        product: {type: string}
        warehouse: {type: string}
        number: {type: [string, "null"]}
        quantity: {type: number}
        unit: {type: string}
        recall: {type: integer, description: "A recall not closed that affects the lot (the first, when several do)."}
    DocumentLine:
      type: object
      required: [product]
      additionalProperties: false
      properties:
        product: {type: string}
        quantity: {type: [number, "null"], minimum: 0, maximum: 1000000000}
        expiry: {type: [string, "null"], pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
        production: {type: [string, "null"], pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
        inputs: {type: [array, "null"], items: {type: integer, minimum: 0, maximum: 10000}}
        unitCost: {type: [number, "null"], minimum: 0, maximum: 1000000000, description: "Receipts: what one unit cost."}
        picks:
          type: [array, "null"]
          items:
            type: object
            required: [number]
            additionalProperties: false
            properties:
              number: {type: string}
              quantity: {type: [number, "null"], minimum: 0, maximum: 1000000000}
              expiry: {type: [string, "null"], pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
              production: {type: [string, "null"], pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
    DocumentBody:
      type: object
      additionalProperties: false
      properties:
        warehouse: {type: [string, "null"]}
        supplier: {type: [string, "null"]}
        customer: {type: [string, "null"]}
        from: {type: [string, "null"]}
        to: {type: [string, "null"]}
        reason: {type: [string, "null"], enum: [damaged, expired, correction, other, null]}
        lines: {type: [array, "null"], items: {$ref: "#/components/schemas/DocumentLine"}}
        inputs: {type: [array, "null"], items: {$ref: "#/components/schemas/DocumentLine"}}
        outputs: {type: [array, "null"], items: {$ref: "#/components/schemas/DocumentLine"}}
        date: {type: [string, "null"], pattern: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
        note: {type: [string, "null"]}
        acceptExpired: {type: [boolean, "null"]}
        allowExpired: {type: [boolean, "null"]}
        allowQuarantined: {type: [boolean, "null"]}
        allowRecalled: {type: [boolean, "null"], description: "Issues and productions: lots under an open recall (not yet held) may go."}
        minimumShelfLifeDays: {type: [integer, "null"], minimum: 0, maximum: 36500}
        addedCost: {type: [number, "null"], minimum: 0, maximum: 1000000000, description: "Productions: what making the outputs cost besides their inputs."}
    Session:
      type: object
      required: [badge, name, role, station, expiresAt]
      properties:
        badge: {type: string}
        name: {type: string}
        role: {type: string, enum: [operator, supervisor]}
        station: {type: string}
        expiresAt: {type: string}
    RunReport:
      type: object
      required: [run, station, product, planned, state, openedAt, printed, notPrinted, verified, voided, missing, units, components]
      properties:
        run: {type: integer}
        station: {type: string}
        product: {type: string}
        lot: {type: [string, "null"]}
        planned: {type: integer}
        state: {type: string, enum: [open, closed, cancelled]}
        openedAt: {type: string}
        closedAt: {type: [string, "null"]}
        printed: {type: integer, description: "Labels printed: their print job done (or the unit verified)."}
        notPrinted: {type: integer, description: "Labels of units not verified whose print job has not printed yet."}
        verified: {type: integer}
        voided: {type: integer}
        missing: {type: array, items: {type: string}}
        units:
          type: array
          items:
            type: object
            required: [number, state]
            properties:
              number: {type: string}
              state: {type: string, enum: [queued, printed, not-printed, verified, voided], description: "queued: its label not printed yet (see label); not-printed: its label cancelled."}
              job: {type: [integer, "null"]}
              label: {type: [string, "null"], enum: [queued, sending, printing, failed, held, done, cancelled, null], description: "The label's print job state."}
              document: {type: [string, "null"]}
              note: {type: [string, "null"]}
        components:
          type: array
          items:
            type: object
            required: [product, number, perUnit, current]
            properties:
              product: {type: string}
              number: {type: string}
              perUnit: {type: string}
              current: {type: boolean}
              override: {type: string, description: "Why it was taken though another lot goes first, and by whom (recorded in every unit made from it too)."}
    LoggedScan:
      type: object
      required: [id, station, device, raw, user, at, verdict, reasons, action, jobs, next]
      properties:
        id: {type: integer}
        station: {type: string}
        device: {type: string}
        raw: {type: string, description: "The bytes read, as UTF-8 text (bytes that are not UTF-8 show as U+FFFD: see rawBase64)."}
        rawBase64: {type: string, description: "The bytes read, in Base64: only when they are not UTF-8 (a scanner sending Latin-1, say)."}
        symbologyId: {type: [string, "null"]}
        user: {type: string}
        at: {type: string}
        verdict: {type: string, enum: [ok, warn, block]}
        reasons: {type: array, items: {type: object}}
        action: {type: string}
        document: {type: [string, "null"]}
        jobs: {type: array, items: {type: integer}}
        next: {type: string}
    Printer:
      type: object
      required: [name, uri, language, dpi, state, stateMessage, queued, held]
      properties:
        name: {type: string}
        uri: {type: string}
        language: {type: string, enum: [zpl, epl, png]}
        dpi: {type: integer}
        state: {type: string}
        stateMessage: {type: string}
        stateAt: {type: [string, "null"]}
        queued: {type: integer}
        held: {type: integer}
    Job:
      type: object
      required: [id, printer, state, language, labels, copies, printedLabels, requestedBy, reason, reference, attempts, error, possiblyDuplicated, confirmed, createdAt]
      properties:
        id: {type: integer}
        printer: {type: string}
        state: {type: string, enum: [queued, sending, printing, done, failed, held, cancelled]}
        language: {type: string}
        labels: {type: integer, description: "Labels the job prints, its copies included (a label of 3 copies: 3)."}
        copies: {type: integer, description: "The copies asked for (already counted in labels)."}
        printedLabels: {type: integer}
        template: {type: [string, "null"]}
        dpi: {type: [integer, "null"], description: "the printer resolution its label was rendered at; absent for raw bytes"}
        requestedBy: {type: string}
        reason: {type: string}
        reference: {type: string}
        attempts: {type: integer}
        error: {type: string}
        possiblyDuplicated: {type: boolean}
        reprintOf: {type: [integer, "null"]}
        confirmed: {type: boolean}
        createdAt: {type: string}
        sentAt: {type: [string, "null"]}
        finishedAt: {type: [string, "null"]}
    RenderRequest:
      type: object
      additionalProperties: false
      properties:
        format: {type: [string, "null"], enum: [zpl, epl, png, null]}
        dpi: {type: [integer, "null"], enum: [152, 203, 300, 600, null]}
        data: {type: [object, "null"]}
        product: {type: [string, "null"]}
        lot: {type: [string, "null"]}
        serial: {type: [string, "null"]}
    Token:
      type: object
      required: [name, role, createdAt, createdBy]
      properties:
        name: {type: string}
        role: {type: string, enum: [viewer, operator, supervisor, admin]}
        createdAt: {type: string}
        createdBy: {type: string}
        revokedAt: {type: [string, "null"]}
        lastUsedAt: {type: [string, "null"]}
"""#
}
