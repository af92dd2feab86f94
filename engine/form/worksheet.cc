#include "engine/form/worksheet.h"
#include "engine/xml_names.h"

#include <pugixml.hpp>

#include <charconv>
#include <cmath>
#include <cstring>

namespace kakitome::form {

namespace {

using xml::child_named;
using xml::local_name;

constexpr int kMaxRows = 1'048'576, kMaxColumns = 16'384;  // Excel's own limits
// What kakitome reads from one form. The real form has about 20 fields on one sheet; these
// leave room for a decorated template and stop a crafted workbook (a million cells took 4.3 s
// and 449 MB) long before it costs anything.
constexpr std::size_t kMaxPartBytes = 4 * 1024 * 1024;  // one XML part, uncompressed
constexpr std::size_t kMaxCellsRead = 20'000;           // over all sheets
constexpr std::size_t kMaxRowsRead = 5'000;             // <row> elements over all sheets
constexpr std::size_t kMaxSharedStrings = 20'000;
constexpr std::size_t kMaxSheets = 32;

Status form_too_large(const std::string& what) {
    return Status::resource_exhausted("the form holds more " + what +
                                      " than an application form can; it is not read")
        .with_reason("form_too_large");
}

Status bad_xlsx(const std::string& message) {
    return Status::invalid_argument("xlsx: " + message).with_reason("bad_xlsx");
}

// Text of a string item: <t> directly, or the <t> of each <r> run; <rPh> (furigana) skipped.
std::string string_item_text(pugi::xml_node item) {
    std::string text;
    for (pugi::xml_node child : item.children()) {
        const auto name = local_name(child.name());
        if (name == "t") {
            text += child.text().get();
        } else if (name == "r") {
            if (pugi::xml_node t = child_named(child, "t")) text += t.text().get();
        }
    }
    return text;
}

Result<pugi::xml_document> parse_part(const ZipArchive& archive, const std::string& name) {
    auto bytes = archive.read(name);
    if (!bytes.is_ok()) return bytes.status();
    if (bytes->size() > kMaxPartBytes) return form_too_large("XML than 4 MiB in " + name);
    pugi::xml_document document;
    // No DOCTYPE processing in pugixml: no entity expansion attacks.
    const auto parsed = document.load_buffer(bytes->data(), bytes->size(), pugi::parse_default,
                                             pugi::encoding_utf8);
    if (!parsed) return bad_xlsx(name + " does not parse: " + parsed.description());
    return document;
}

// Resolves a relationship target against the folder of the part that owns it.
std::string resolve_target(const std::string& base_folder, std::string target) {
    if (!target.empty() && target[0] == '/') return target.substr(1);
    std::string path = base_folder + target;
    // Collapse "folder/../" segments.
    for (std::size_t up; (up = path.find("/../")) != std::string::npos;) {
        const std::size_t start = path.rfind('/', up - 1);
        path.erase(start == std::string::npos ? 0 : start + 1,
                   up + 4 - (start == std::string::npos ? 0 : start + 1));
    }
    return path;
}

std::string number_text(double value, const char* written) {
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 1e15) {
        return std::to_string(static_cast<long long>(value));
    }
    return written;
}

Result<Worksheet> read_sheet(const ZipArchive& archive, const std::string& path, std::string name,
                             const std::vector<std::string>& shared_strings, std::size_t& rows_read,
                             std::size_t& cells_read) {
    auto document = parse_part(archive, path);
    if (!document.is_ok()) return document.status();
    Worksheet sheet;
    sheet.name = std::move(name);
    pugi::xml_node worksheet = child_named(document.value(), "worksheet");
    pugi::xml_node data = child_named(worksheet, "sheetData");
    int implicit_row = 0;
    for (pugi::xml_node row : data.children()) {
        if (local_name(row.name()) != "row") continue;
        if (++rows_read > kMaxRowsRead) return form_too_large("rows");
        const int row_number = row.attribute("r") ? row.attribute("r").as_int() : implicit_row + 1;
        implicit_row = row_number;
        int implicit_column = 0;
        for (pugi::xml_node cell : row.children()) {
            if (local_name(cell.name()) != "c") continue;
            if (++cells_read > kMaxCellsRead) return form_too_large("cells");
            int r = row_number, c = implicit_column + 1;
            if (cell.attribute("r") && !parse_cell_reference(cell.attribute("r").value(), r, c)) {
                return bad_xlsx(std::string("bad cell reference ") + cell.attribute("r").value());
            }
            implicit_column = c;
            if (r < 1 || r > kMaxRows || c < 1 || c > kMaxColumns)
                return bad_xlsx("cell outside the sheet");
            const std::string type = cell.attribute("t").value();
            CellValue value;
            if (type == "inlineStr") {
                value.text = string_item_text(child_named(cell, "is"));
            } else {
                pugi::xml_node v = child_named(cell, "v");
                if (!v) continue;  // a styled empty cell
                const char* written = v.text().get();
                if (type == "s") {
                    const long index = std::strtol(written, nullptr, 10);
                    if (index < 0 || static_cast<std::size_t>(index) >= shared_strings.size()) {
                        return bad_xlsx("shared string index out of range");
                    }
                    value.text = shared_strings[static_cast<std::size_t>(index)];
                } else if (type == "b") {
                    value.kind = CellValue::Kind::boolean;
                    value.text = std::strcmp(written, "1") == 0 ? "TRUE" : "FALSE";
                } else if (type == "str" || type == "e") {
                    value.text = written;  // formula string result, or an error like #N/A
                } else {
                    value.kind = CellValue::Kind::number;
                    value.number = std::strtod(written, nullptr);
                    value.text = number_text(value.number, written);
                }
            }
            sheet.cells[{r, c}] = std::move(value);
        }
    }
    if (pugi::xml_node merges = child_named(worksheet, "mergeCells")) {
        for (pugi::xml_node merge : merges.children()) {
            const std::string reference = merge.attribute("ref").value();
            const auto colon = reference.find(':');
            CellRange range;
            if (colon == std::string::npos ||
                !parse_cell_reference(std::string_view(reference).substr(0, colon), range.first_row,
                                      range.first_column) ||
                !parse_cell_reference(std::string_view(reference).substr(colon + 1), range.last_row,
                                      range.last_column)) {
                return bad_xlsx("bad merged range " + reference);
            }
            sheet.merged.push_back(range);
        }
    }
    return sheet;
}

}  // namespace

bool parse_cell_reference(std::string_view reference, int& row, int& column) {
    std::size_t i = 0;
    long c = 0;
    while (i < reference.size() &&
           ((reference[i] >= 'A' && reference[i] <= 'Z') || reference[i] == '$')) {
        if (reference[i] != '$') c = c * 26 + (reference[i] - 'A' + 1);
        if (c > kMaxColumns) return false;
        ++i;
    }
    if (i < reference.size() && reference[i] == '$') ++i;
    long r = 0;
    const auto [end, error] =
        std::from_chars(reference.data() + i, reference.data() + reference.size(), r);
    if (c == 0 || error != std::errc() || end != reference.data() + reference.size() || r < 1 ||
        r > kMaxRows)
        return false;
    row = static_cast<int>(r);
    column = static_cast<int>(c);
    return true;
}

const CellValue* Worksheet::at(int row, int column) const {
    auto found = cells.find({row, column});
    return found == cells.end() ? nullptr : &found->second;
}

CellRange Worksheet::range_of(int row, int column) const {
    for (const auto& range : merged) {
        if (range.contains(row, column)) return range;
    }
    return {row, column, row, column};
}

Result<std::vector<Worksheet>> read_worksheets(std::string_view xlsx_bytes,
                                               const ZipLimits& limits) {
    auto archive = ZipArchive::open(xlsx_bytes, limits);
    if (!archive.is_ok()) return archive.status();

    // The workbook part is named by the package relationships; xl/workbook.xml is the usual one.
    std::string workbook_path = "xl/workbook.xml";
    if (archive->contains("_rels/.rels")) {
        auto rels = parse_part(archive.value(), "_rels/.rels");
        if (!rels.is_ok()) return rels.status();
        for (pugi::xml_node rel : child_named(rels.value(), "Relationships").children()) {
            if (std::string_view(rel.attribute("Type").value()).ends_with("/officeDocument")) {
                workbook_path = resolve_target("", rel.attribute("Target").value());
            }
        }
    }
    const std::string folder = workbook_path.substr(0, workbook_path.rfind('/') + 1);
    const std::string rels_path = folder + "_rels/" + workbook_path.substr(folder.size()) + ".rels";

    auto workbook = parse_part(archive.value(), workbook_path);
    if (!workbook.is_ok()) return workbook.status();
    auto workbook_rels = parse_part(archive.value(), rels_path);
    if (!workbook_rels.is_ok()) return workbook_rels.status();

    std::map<std::string, std::string> targets;
    std::string shared_strings_path;
    for (pugi::xml_node rel : child_named(workbook_rels.value(), "Relationships").children()) {
        const std::string target = resolve_target(folder, rel.attribute("Target").value());
        targets[rel.attribute("Id").value()] = target;
        if (std::string_view(rel.attribute("Type").value()).ends_with("/sharedStrings"))
            shared_strings_path = target;
    }

    std::vector<std::string> shared_strings;
    if (!shared_strings_path.empty() && archive->contains(shared_strings_path)) {
        auto strings = parse_part(archive.value(), shared_strings_path);
        if (!strings.is_ok()) return strings.status();
        for (pugi::xml_node item : child_named(strings.value(), "sst").children()) {
            if (local_name(item.name()) != "si") continue;
            if (shared_strings.size() >= kMaxSharedStrings) return form_too_large("shared strings");
            shared_strings.push_back(string_item_text(item));
        }
    }

    std::vector<Worksheet> sheets;
    std::size_t rows_read = 0, cells_read = 0;
    for (pugi::xml_node sheet :
         child_named(child_named(workbook.value(), "workbook"), "sheets").children()) {
        if (sheets.size() >= kMaxSheets) return form_too_large("worksheets");
        std::string relationship;
        for (pugi::xml_attribute attribute : sheet.attributes()) {
            if (local_name(attribute.name()) == "id") relationship = attribute.value();
        }
        auto target = targets.find(relationship);
        if (target == targets.end())
            return bad_xlsx("sheet " + std::string(sheet.attribute("name").value()) +
                            " has no part");
        auto read = read_sheet(archive.value(), target->second, sheet.attribute("name").value(),
                               shared_strings, rows_read, cells_read);
        if (!read.is_ok()) return read.status();
        sheets.push_back(std::move(read).value());
    }
    if (sheets.empty()) return bad_xlsx("the workbook has no worksheets");
    return sheets;
}

}  // namespace kakitome::form
