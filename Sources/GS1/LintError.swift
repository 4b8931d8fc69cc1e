/// Why a component of an AI value failed one of the GS1 Barcode Syntax Tests ("linters").
///
/// The cases and their reference names follow the GS1 Syntax Engine's `gs1_lint_err_t`, so a
/// verdict can be compared with the reference implementation (GS1 AISBL, Apache-2.0).
enum LintError: UInt8, CaseIterable, Sendable {
    case nonDigitCharacter
    case invalidCSet82Character
    case invalidCSet39Character
    case invalidCSet32Character
    case incorrectCheckDigit
    case tooShortForCheckDigit
    case incorrectCheckPair
    case tooShortForCheckPair
    case tooLongForCheckPairImplementation
    case gcpDatasourceOffline
    case invalidGCPPrefix
    case importerIdxMustBeOneCharacter
    case invalidImportIdxCharacter
    case illegalZeroValue
    case notZero
    case illegalZeroPrefix
    case notZeroOrOne
    case invalidWindingDirection
    case notISO3166
    case notISO3166Or999
    case notISO3166Alpha2
    case notISO4217
    case IBANTooShort
    case invalidIBANCharacter
    case illegalIBANCountryCode
    case incorrectIBANChecksum
    case dateTooShort
    case dateTooLong
    case hourWithMinuteTooShort
    case hourWithMinuteTooLong
    case illegalMonth
    case illegalDay
    case illegalHour
    case illegalMinute
    case illegalSecond
    case invalidLengthForPieceOfTotal
    case zeroPieceNumber
    case zeroTotalPieces
    case pieceNumberExceedsTotal
    case invalidPercentSequence
    case couponMissingFormatCode
    case couponInvalidFormatCode
    case couponMissingFunderVLI
    case couponInvalidFunderLength
    case couponTruncatedFunder
    case couponTruncatedOfferCode
    case couponMissingSerialNumberVLI
    case couponTruncatedSerialNumber
    case couponMissingGCPVLI
    case couponInvalidGCPLength
    case couponTruncatedGCP
    case couponMissingSaveValueVLI
    case couponInvalidSaveValueLength
    case couponTruncatedSaveValue
    case couponMissingFirstPurchaseRequirementVLI
    case couponInvalidFirstPurchaseRequirementLength
    case couponTruncatedFirstPurchaseRequirement
    case couponMissingFirstPurchaseRequirementCode
    case couponInvalidFirstPurchaseRequirementCode
    case couponTruncatedFirstPurchaseFamilyCode
    case couponMissingAdditionalPurchaseRulesCode
    case couponInvalidAdditionalPurchaseRulesCode
    case couponMissingSecondPurchaseRequirementVLI
    case couponInvalidSecondPurchaseRequirementLength
    case couponTruncatedSecondPurchaseRequirement
    case couponMissingSecondPurchaseRequirementCode
    case couponInvalidSecondPurchaseRequirementCode
    case couponTruncatedSecondPurchaseFamilyCode
    case couponMissingSecondPurchaseGCPVLI
    case couponInvalidSecondPurchaseGCPLength
    case couponTruncatedSecondPurchaseGCP
    case couponMissingThirdPurchaseRequirementVLI
    case couponInvalidThirdPurchaseRequirementLength
    case couponTruncatedThirdPurchaseRequirement
    case couponMissingThirdPurchaseRequirementCode
    case couponInvalidThirdPurchaseRequirementCode
    case couponTruncatedThirdPurchaseFamilyCode
    case couponMissingThirdPurchaseGCPVLI
    case couponInvalidThirdPurchaseGCPLength
    case couponTruncatedThirdPurchaseGCP
    case couponTooShortForExpirationDate
    case couponInvalidExpirationDate
    case couponTooShortForStartDate
    case couponInvalidStartDate
    case couponExpirationBeforeStart
    case couponMissingRetailerGCPOrGLNVLI
    case couponInvalidRetailerGCPOrGLNLength
    case couponTruncatedRetailerGCPOrGLN
    case couponMissingSaveValueCode
    case couponInvalidSaveValueCode
    case couponMissingSaveValueAppliesToItem
    case couponInvalidSaveValueAppliesToItem
    case couponMissingStoreCouponFlag
    case couponMissingDontMultiplyFlag
    case couponInvalidDontMultiplyFlag
    case couponExcessData
    case invalidLatitude
    case invalidLongitude
    case invalidMediaType
    case latitudeInvalidLength
    case longitudeInvalidLength
    case invalidCSet64Character
    case invalidCSet64Padding
    case notHyphen
    case invalidBiologicalSexCode
    case positionInSequenceMalformed
    case positionExceedsEnd
    case requiresNonDigitCharacter
    case hourTooShort
    case hourTooLong
    case minuteTooShort
    case minuteTooLong
    case secondTooShort
    case secondTooLong
    case invalidPackageType
    case tooShortForGCP
    case IBANTooLong

    /// The reference name without its `GS1_LINTER_` prefix, e.g. `INCORRECT_CHECK_DIGIT`.
    var referenceName: String {
        switch self {
        case .nonDigitCharacter: "NON_DIGIT_CHARACTER"
        case .invalidCSet82Character: "INVALID_CSET82_CHARACTER"
        case .invalidCSet39Character: "INVALID_CSET39_CHARACTER"
        case .invalidCSet32Character: "INVALID_CSET32_CHARACTER"
        case .incorrectCheckDigit: "INCORRECT_CHECK_DIGIT"
        case .tooShortForCheckDigit: "TOO_SHORT_FOR_CHECK_DIGIT"
        case .incorrectCheckPair: "INCORRECT_CHECK_PAIR"
        case .tooShortForCheckPair: "TOO_SHORT_FOR_CHECK_PAIR"
        case .tooLongForCheckPairImplementation: "TOO_LONG_FOR_CHECK_PAIR_IMPLEMENTATION"
        case .gcpDatasourceOffline: "GCP_DATASOURCE_OFFLINE"
        case .invalidGCPPrefix: "INVALID_GCP_PREFIX"
        case .importerIdxMustBeOneCharacter: "IMPORTER_IDX_MUST_BE_ONE_CHARACTER"
        case .invalidImportIdxCharacter: "INVALID_IMPORT_IDX_CHARACTER"
        case .illegalZeroValue: "ILLEGAL_ZERO_VALUE"
        case .notZero: "NOT_ZERO"
        case .illegalZeroPrefix: "ILLEGAL_ZERO_PREFIX"
        case .notZeroOrOne: "NOT_ZERO_OR_ONE"
        case .invalidWindingDirection: "INVALID_WINDING_DIRECTION"
        case .notISO3166: "NOT_ISO3166"
        case .notISO3166Or999: "NOT_ISO3166_OR_999"
        case .notISO3166Alpha2: "NOT_ISO3166_ALPHA2"
        case .notISO4217: "NOT_ISO4217"
        case .IBANTooShort: "IBAN_TOO_SHORT"
        case .invalidIBANCharacter: "INVALID_IBAN_CHARACTER"
        case .illegalIBANCountryCode: "ILLEGAL_IBAN_COUNTRY_CODE"
        case .incorrectIBANChecksum: "INCORRECT_IBAN_CHECKSUM"
        case .dateTooShort: "DATE_TOO_SHORT"
        case .dateTooLong: "DATE_TOO_LONG"
        case .hourWithMinuteTooShort: "HOUR_WITH_MINUTE_TOO_SHORT"
        case .hourWithMinuteTooLong: "HOUR_WITH_MINUTE_TOO_LONG"
        case .illegalMonth: "ILLEGAL_MONTH"
        case .illegalDay: "ILLEGAL_DAY"
        case .illegalHour: "ILLEGAL_HOUR"
        case .illegalMinute: "ILLEGAL_MINUTE"
        case .illegalSecond: "ILLEGAL_SECOND"
        case .invalidLengthForPieceOfTotal: "INVALID_LENGTH_FOR_PIECE_OF_TOTAL"
        case .zeroPieceNumber: "ZERO_PIECE_NUMBER"
        case .zeroTotalPieces: "ZERO_TOTAL_PIECES"
        case .pieceNumberExceedsTotal: "PIECE_NUMBER_EXCEEDS_TOTAL"
        case .invalidPercentSequence: "INVALID_PERCENT_SEQUENCE"
        case .couponMissingFormatCode: "COUPON_MISSING_FORMAT_CODE"
        case .couponInvalidFormatCode: "COUPON_INVALID_FORMAT_CODE"
        case .couponMissingFunderVLI: "COUPON_MISSING_FUNDER_VLI"
        case .couponInvalidFunderLength: "COUPON_INVALID_FUNDER_LENGTH"
        case .couponTruncatedFunder: "COUPON_TRUNCATED_FUNDER"
        case .couponTruncatedOfferCode: "COUPON_TRUNCATED_OFFER_CODE"
        case .couponMissingSerialNumberVLI: "COUPON_MISSING_SERIAL_NUMBER_VLI"
        case .couponTruncatedSerialNumber: "COUPON_TRUNCATED_SERIAL_NUMBER"
        case .couponMissingGCPVLI: "COUPON_MISSING_GCP_VLI"
        case .couponInvalidGCPLength: "COUPON_INVALID_GCP_LENGTH"
        case .couponTruncatedGCP: "COUPON_TRUNCATED_GCP"
        case .couponMissingSaveValueVLI: "COUPON_MISSING_SAVE_VALUE_VLI"
        case .couponInvalidSaveValueLength: "COUPON_INVALID_SAVE_VALUE_LENGTH"
        case .couponTruncatedSaveValue: "COUPON_TRUNCATED_SAVE_VALUE"
        case .couponMissingFirstPurchaseRequirementVLI: "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_VLI"
        case .couponInvalidFirstPurchaseRequirementLength: "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_LENGTH"
        case .couponTruncatedFirstPurchaseRequirement: "COUPON_TRUNCATED_1ST_PURCHASE_REQUIREMENT"
        case .couponMissingFirstPurchaseRequirementCode: "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_CODE"
        case .couponInvalidFirstPurchaseRequirementCode: "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_CODE"
        case .couponTruncatedFirstPurchaseFamilyCode: "COUPON_TRUNCATED_1ST_PURCHASE_FAMILY_CODE"
        case .couponMissingAdditionalPurchaseRulesCode: "COUPON_MISSING_ADDITIONAL_PURCHASE_RULES_CODE"
        case .couponInvalidAdditionalPurchaseRulesCode: "COUPON_INVALID_ADDITIONAL_PURCHASE_RULES_CODE"
        case .couponMissingSecondPurchaseRequirementVLI: "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_VLI"
        case .couponInvalidSecondPurchaseRequirementLength: "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_LENGTH"
        case .couponTruncatedSecondPurchaseRequirement: "COUPON_TRUNCATED_2ND_PURCHASE_REQUIREMENT"
        case .couponMissingSecondPurchaseRequirementCode: "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_CODE"
        case .couponInvalidSecondPurchaseRequirementCode: "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_CODE"
        case .couponTruncatedSecondPurchaseFamilyCode: "COUPON_TRUNCATED_2ND_PURCHASE_FAMILY_CODE"
        case .couponMissingSecondPurchaseGCPVLI: "COUPON_MISSING_2ND_PURCHASE_GCP_VLI"
        case .couponInvalidSecondPurchaseGCPLength: "COUPON_INVALID_2ND_PURCHASE_GCP_LENGTH"
        case .couponTruncatedSecondPurchaseGCP: "COUPON_TRUNCATED_2ND_PURCHASE_GCP"
        case .couponMissingThirdPurchaseRequirementVLI: "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_VLI"
        case .couponInvalidThirdPurchaseRequirementLength: "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_LENGTH"
        case .couponTruncatedThirdPurchaseRequirement: "COUPON_TRUNCATED_3RD_PURCHASE_REQUIREMENT"
        case .couponMissingThirdPurchaseRequirementCode: "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_CODE"
        case .couponInvalidThirdPurchaseRequirementCode: "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_CODE"
        case .couponTruncatedThirdPurchaseFamilyCode: "COUPON_TRUNCATED_3RD_PURCHASE_FAMILY_CODE"
        case .couponMissingThirdPurchaseGCPVLI: "COUPON_MISSING_3RD_PURCHASE_GCP_VLI"
        case .couponInvalidThirdPurchaseGCPLength: "COUPON_INVALID_3RD_PURCHASE_GCP_LENGTH"
        case .couponTruncatedThirdPurchaseGCP: "COUPON_TRUNCATED_3RD_PURCHASE_GCP"
        case .couponTooShortForExpirationDate: "COUPON_TOO_SHORT_FOR_EXPIRATION_DATE"
        case .couponInvalidExpirationDate: "COUPON_INVALID_EXIPIRATION_DATE"
        case .couponTooShortForStartDate: "COUPON_TOO_SHORT_FOR_START_DATE"
        case .couponInvalidStartDate: "COUPON_INVALID_START_DATE"
        case .couponExpirationBeforeStart: "COUPON_EXPIRATION_BEFORE_START"
        case .couponMissingRetailerGCPOrGLNVLI: "COUPON_MISSING_RETAILER_GCP_OR_GLN_VLI"
        case .couponInvalidRetailerGCPOrGLNLength: "COUPON_INVALID_RETAILER_GCP_OR_GLN_LENGTH"
        case .couponTruncatedRetailerGCPOrGLN: "COUPON_TRUNCATED_RETAILER_GCP_OR_GLN"
        case .couponMissingSaveValueCode: "COUPON_MISSING_SAVE_VALUE_CODE"
        case .couponInvalidSaveValueCode: "COUPON_INVALID_SAVE_VALUE_CODE"
        case .couponMissingSaveValueAppliesToItem: "COUPON_MISSING_SAVE_VALUE_APPLIES_TO_ITEM"
        case .couponInvalidSaveValueAppliesToItem: "COUPON_INVALID_SAVE_VALUE_APPLIES_TO_ITEM"
        case .couponMissingStoreCouponFlag: "COUPON_MISSING_STORE_COUPON_FLAG"
        case .couponMissingDontMultiplyFlag: "COUPON_MISSING_DONT_MULTIPLY_FLAG"
        case .couponInvalidDontMultiplyFlag: "COUPON_INVALID_DONT_MULTIPLY_FLAG"
        case .couponExcessData: "COUPON_EXCESS_DATA"
        case .invalidLatitude: "INVALID_LATITUDE"
        case .invalidLongitude: "INVALID_LONGITUDE"
        case .invalidMediaType: "INVALID_MEDIA_TYPE"
        case .latitudeInvalidLength: "LATITUDE_INVALID_LENGTH"
        case .longitudeInvalidLength: "LONGITUDE_INVALID_LENGTH"
        case .invalidCSet64Character: "INVALID_CSET64_CHARACTER"
        case .invalidCSet64Padding: "INVALID_CSET64_PADDING"
        case .notHyphen: "NOT_HYPHEN"
        case .invalidBiologicalSexCode: "INVALID_BIOLOGICAL_SEX_CODE"
        case .positionInSequenceMalformed: "POSITION_IN_SEQUENCE_MALFORMED"
        case .positionExceedsEnd: "POSITION_EXCEEDS_END"
        case .requiresNonDigitCharacter: "REQUIRES_NON_DIGIT_CHARACTER"
        case .hourTooShort: "HOUR_TOO_SHORT"
        case .hourTooLong: "HOUR_TOO_LONG"
        case .minuteTooShort: "MINUTE_TOO_SHORT"
        case .minuteTooLong: "MINUTE_TOO_LONG"
        case .secondTooShort: "SECOND_TOO_SHORT"
        case .secondTooLong: "SECOND_TOO_LONG"
        case .invalidPackageType: "INVALID_PACKAGE_TYPE"
        case .tooShortForGCP: "TOO_SHORT_FOR_GCP"
        case .IBANTooLong: "IBAN_TOO_LONG"
        }
    }

    /// The reference description of the failure, used when no more specific detail is known.
    var summary: String {
        switch self {
        case .nonDigitCharacter: "a non-digit character was found where a digit is expected"
        case .invalidCSet82Character: "a non-CSET 82 character was found where a CSET 82 character is expected"
        case .invalidCSet39Character: "a non-CSET 39 character was found where a CSET 39 character is expected"
        case .invalidCSet32Character: "a non-CSET 32 character was found where a CSET 32 character is expected"
        case .incorrectCheckDigit: "the numeric check digit is incorrect"
        case .tooShortForCheckDigit: "the component is too short to perform a numeric check digit calculation"
        case .incorrectCheckPair: "the alphanumeric check-character pair are incorrect"
        case .tooShortForCheckPair: "the component is too short to perform an alphanumeric check character pair calculation"
        case .tooLongForCheckPairImplementation: "the component is too long to perform an alphanumeric check character pair calculation"
        case .gcpDatasourceOffline: "the data source for GCP lookups is offline"
        case .invalidGCPPrefix: "the GS1 Company Prefix is invalid"
        case .importerIdxMustBeOneCharacter: "the Importer Index must be a single character"
        case .invalidImportIdxCharacter: "the Importer Index is an invalid character"
        case .illegalZeroValue: "a non-zero value is required"
        case .notZero: "a zero value is required"
        case .illegalZeroPrefix: "a zero prefix is not permitted"
        case .notZeroOrOne: "a \"0\" or \"1\" is required"
        case .invalidWindingDirection: "the winding direction must be either \"0\", \"1\" or \"9\""
        case .notISO3166: "a valid ISO 3166 three-digit country code is required"
        case .notISO3166Or999: "a valid ISO 3166 three-digit country code or \"999\" is required"
        case .notISO3166Alpha2: "a valid ISO 3166 two-character country code is required"
        case .notISO4217: "a valid ISO 4217 three-digit currency code is required"
        case .IBANTooShort: "the IBAN is too short"
        case .invalidIBANCharacter: "the IBAN contains an invalid character"
        case .illegalIBANCountryCode: "the IBAN must start with a valid ISO 3166 two-character country code"
        case .incorrectIBANChecksum: "the IBAN is invalid since the check characters are incorrect"
        case .dateTooShort: "the date is too short for YYMMDD format"
        case .dateTooLong: "the date is too long for YYMMDD format"
        case .hourWithMinuteTooShort: "the hour with minute is too short for HHMI format"
        case .hourWithMinuteTooLong: "the hour with minute is too long for HHMI format"
        case .illegalMonth: "the date contains an illegal month of the year"
        case .illegalDay: "the date contains an illegal day of the month"
        case .illegalHour: "the time contains an illegal hour"
        case .illegalMinute: "the time contains an illegal minute"
        case .illegalSecond: "the time contains an illegal seconds"
        case .invalidLengthForPieceOfTotal: "the piece with total must have an even length, having equal-length components"
        case .zeroPieceNumber: "the piece number must not have a value of zero"
        case .zeroTotalPieces: "the piece total must not have a value of zero"
        case .pieceNumberExceedsTotal: "the piece number must not exceed the piece total"
        case .invalidPercentSequence: "the input contains an invalid percent hex-encoding \"%hh\" sequence"
        case .couponMissingFormatCode: "the coupon's Format Code is missing"
        case .couponInvalidFormatCode: "the coupon's Format Code must be \"0\" or \"1\""
        case .couponMissingFunderVLI: "the coupon's Funder VLI is missing"
        case .couponInvalidFunderLength: "the coupon's Funder VLI must be \"0\" to \"6\""
        case .couponTruncatedFunder: "the coupon's Funder is shorter than what is indicated by its VLI"
        case .couponTruncatedOfferCode: "the coupon's Offer Code is shorter than the required six digits"
        case .couponMissingSerialNumberVLI: "the coupon's Serial Number VLI is missing"
        case .couponTruncatedSerialNumber: "the coupon's Serial Number is shorter than what is indicated by its VLI"
        case .couponMissingGCPVLI: "the coupon's primary GS1 Company Prefix VLI is missing"
        case .couponInvalidGCPLength: "the coupon's primary GS1 Company Prefix VLI must be \"0\" to \"6\""
        case .couponTruncatedGCP: "the coupon's primary GS1 Company Prefix is shorter than what is indicated by its VLI"
        case .couponMissingSaveValueVLI: "the coupon's Save Value VLI is missing"
        case .couponInvalidSaveValueLength: "the coupon's Save Value VLI must be \"1\" to \"5\""
        case .couponTruncatedSaveValue: "the coupon's Save Value is shorter than what is indicated by its VLI"
        case .couponMissingFirstPurchaseRequirementVLI: "the coupon's primary purchase Requirement VLI is missing"
        case .couponInvalidFirstPurchaseRequirementLength: "the coupon's primary purchase Requirement VLI must be \"1\" to \"5\""
        case .couponTruncatedFirstPurchaseRequirement: "the coupon's primary purchase Requirement is shorter than what is indicated by its VLI"
        case .couponMissingFirstPurchaseRequirementCode: "the coupon's primary purchase Requirement Code is missing"
        case .couponInvalidFirstPurchaseRequirementCode: "the coupon's primary purchase Requirement Code must be \"0\" to \"4\" or \"9\""
        case .couponTruncatedFirstPurchaseFamilyCode: "the coupon's primary purchase Family Code is shorter than the required three digits"
        case .couponMissingAdditionalPurchaseRulesCode: "the coupon's Additional Purchase Rules Code is missing"
        case .couponInvalidAdditionalPurchaseRulesCode: "the coupon's Additional Purchase Rules Code must be \"0\" to \"3\""
        case .couponMissingSecondPurchaseRequirementVLI: "the coupon's second purchase Requirement VLI is missing"
        case .couponInvalidSecondPurchaseRequirementLength: "the coupon's second purchase Requirement VLI must be \"1\" to \"5\""
        case .couponTruncatedSecondPurchaseRequirement: "the coupon's second purchase Requirement is shorter than what is indicated by its VLI"
        case .couponMissingSecondPurchaseRequirementCode: "the coupon's second purchase Requirement Code is missing"
        case .couponInvalidSecondPurchaseRequirementCode: "the coupon's second purchase Requirement Code must be \"0\" to \"4\" or \"9\""
        case .couponTruncatedSecondPurchaseFamilyCode: "the coupon's second purchase Family Code is shorter than the required three digits"
        case .couponMissingSecondPurchaseGCPVLI: "the coupon's second purchase GS1 Company Prefix VLI is missing"
        case .couponInvalidSecondPurchaseGCPLength: "the coupon's second purchase GS1 Company Prefix VLI must be \"0\" to \"6\" or \"9\""
        case .couponTruncatedSecondPurchaseGCP: "the coupon's second purchase GS1 Company Prefix is shorter than what is indicated by its VLI"
        case .couponMissingThirdPurchaseRequirementVLI: "the coupon's third purchase Requirement VLI is missing"
        case .couponInvalidThirdPurchaseRequirementLength: "the coupon's third purchase Requirement VLI must be \"1\" to \"5\""
        case .couponTruncatedThirdPurchaseRequirement: "the coupon's third purchase Requirement is shorter than what is indicated by its VLI"
        case .couponMissingThirdPurchaseRequirementCode: "the coupon's third purchase Requirement Code is missing"
        case .couponInvalidThirdPurchaseRequirementCode: "the coupon's third purchase Requirement Code must be \"0\" to \"4\" or \"9\""
        case .couponTruncatedThirdPurchaseFamilyCode: "the coupon's third purchase Family Code is shorter than the required three digits"
        case .couponMissingThirdPurchaseGCPVLI: "the coupon's third purchase GS1 Company Prefix VLI is missing"
        case .couponInvalidThirdPurchaseGCPLength: "the coupon's third purchase GS1 Company Prefix VLI must be \"0\" to \"6\" or \"9\""
        case .couponTruncatedThirdPurchaseGCP: "the coupon's third purchase GS1 Company Prefix is shorter than what is indicated by its VLI"
        case .couponTooShortForExpirationDate: "the coupon's expiration date is too short for YYMMDD format"
        case .couponInvalidExpirationDate: "the coupon's expiration date is invalid"
        case .couponTooShortForStartDate: "the coupon's start date is too short to YYMMDD format"
        case .couponInvalidStartDate: "the coupon's start date is invalid"
        case .couponExpirationBeforeStart: "the coupon's expiration date precede the start date"
        case .couponMissingRetailerGCPOrGLNVLI: "the coupon's Retailer GCP/GLN VLI is missing"
        case .couponInvalidRetailerGCPOrGLNLength: "the coupon's Retailer GCP/GLN VLI must be \"1\" to \"7\""
        case .couponTruncatedRetailerGCPOrGLN: "the coupon's Retailer GCP/GLN is shorter than what is indicated by its VLI"
        case .couponMissingSaveValueCode: "the coupon's Save Value Code is missing"
        case .couponInvalidSaveValueCode: "the coupon's Save Value Code must be \"0\", \"1\", \"2\", \"5\" or \"6\""
        case .couponMissingSaveValueAppliesToItem: "the coupon's Save Value Applies to Item is missing"
        case .couponInvalidSaveValueAppliesToItem: "the coupon's Save Value Applies to Item must be \"0\" to \"2\""
        case .couponMissingStoreCouponFlag: "the coupon's Store Coupon Flag is missing"
        case .couponMissingDontMultiplyFlag: "the coupon's Don't Multiply Flag is missing"
        case .couponInvalidDontMultiplyFlag: "the coupon's Don't Multiply Flag must be \"0\" or \"1\""
        case .couponExcessData: "the coupon contains excess data after the recognised optional fields"
        case .invalidLatitude: "the latitude is outside of the range \"0000000000\" to \"1800000000\""
        case .invalidLongitude: "the longitude is outside of the range \"0000000000\" to \"3600000000\""
        case .invalidMediaType: "a valid AIDC media type is required"
        case .latitudeInvalidLength: "the latitude value must be 10 digits"
        case .longitudeInvalidLength: "the longitude value must be 10 digits"
        case .invalidCSet64Character: "a non-CSET 64 character was found where a CSET 64 character is expected"
        case .invalidCSet64Padding: "incorrect number of CSET 64 pad characters"
        case .notHyphen: "only hyphens are permitted"
        case .invalidBiologicalSexCode: "a valid ISO/IEC 5218 biological sex code required"
        case .positionInSequenceMalformed: "the data must have the format \"<pos>/<end>\""
        case .positionExceedsEnd: "the position number must not exceed the end number"
        case .requiresNonDigitCharacter: "a non-digit character is required"
        case .hourTooShort: "the hour is too short for HH format"
        case .hourTooLong: "the hour is too long for HH format"
        case .minuteTooShort: "the minute is too short for MI format"
        case .minuteTooLong: "the minute is too long for MI format"
        case .secondTooShort: "the second is too short for SS format"
        case .secondTooLong: "the second is too long for SS format"
        case .invalidPackageType: "a valid PackageTypeCode is required"
        case .tooShortForGCP: "the component is shorter than the minimum length GS1 Company Prefix"
        case .IBANTooLong: "the IBAN is too long"
        }
    }
}
