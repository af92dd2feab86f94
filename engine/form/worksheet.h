// The cells of an xlsx workbook as text, read with libzip + pugixml: shared strings (rich text
// runs joined, phonetic <rPh> runs skipped), inline strings, numbers, booleans, and merged
// ranges. Formulas are read as their cached values. Enough of SpreadsheetML to read a form;
// no formatting, no formula evaluation.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/form/zip_archive.h"
#include "events/base/status.h"

namespace kakitome::form {

struct CellValue {
    enum class Kind { text, number, boolean } kind = Kind::text;
    std::string text;   // the text, or the number/boolean as written in the file
    double number = 0;  // for numbers
};

struct CellRange {
    int first_row = 0, first_column = 0, last_row = 0, last_column = 0;  // 1-based, inclusive
    bool contains(int row, int column) const {
        return row >= first_row && row <= last_row && column >= first_column &&
               column <= last_column;
    }
};

struct Worksheet {
    std::string name;
    std::map<std::pair<int, int>, CellValue> cells;  // (row, column), 1-based
    std::vector<CellRange> merged;

    const CellValue* at(int row, int column) const;
    // The merged range holding the cell, or the cell alone.
    CellRange range_of(int row, int column) const;
};

// All worksheets in workbook order. Errors: reasons from ZipArchive, "bad_xlsx", or
// "form_too_large" (more than 20,000 cells, 5,000 rows, 20,000 shared strings, 32 sheets or a
// 4 MiB XML part: a form has about 20 fields).
Result<std::vector<Worksheet>> read_worksheets(std::string_view xlsx_bytes,
                                               const ZipLimits& limits = {});

// "B3" -> (3, 2); false on a malformed reference.
bool parse_cell_reference(std::string_view reference, int& row, int& column);

}  // namespace kakitome::form
