// The PR-video application form: its fields, read from a decrypted xlsx by label text rather
// than by cell position, so a moved row or an extra column does not break intake.
//
// A field's label is found by its matching_key (NFKC, case- and whitespace-insensitive); the
// value is the first non-empty cell to its right (past any merged range), or else the cell
// below it. The date row is read as the concatenation of every cell right of its label
// ("令和" 7 "年" 6 "月" 10 "日"), or as an Excel date serial.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/form/worksheet.h"
#include "events/base/status.h"

namespace kakitome::form {

inline constexpr std::string_view kConsentGiven = "同意する";

struct ApplicationForm {
    std::string application_date;       // ISO date, or "" when missing or unreadable
    std::string application_date_text;  // as written, for error messages
    std::string organization;
    std::string contact_email;
    std::vector<std::string> usages;  // known usages in canonical spelling; others as written
    std::string usage_other;
    std::string remarks;
    std::string consent;
    std::string sheet;  // the worksheet the form was read from

    // The fields as a JSON object (keys as in the fixtures' manifest).
    std::string to_json() const;
};

// Reads the first worksheet that holds the form's labels. Errors: the workbook's reasons
// (zip_bomb, bad_zip, bad_xlsx, not_a_zip) or "form_not_found" when no sheet has the labels.
Result<ApplicationForm> read_application_form(std::string_view xlsx_bytes,
                                              const ZipLimits& limits = {});

// Splits a multi-select cell on "," "、" "，" and line breaks, trimming each item.
std::vector<std::string> split_usages(std::string_view text);

}  // namespace kakitome::form
