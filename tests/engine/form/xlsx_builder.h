// Test support: writes small xlsx packages the way Excel does (shared strings, optional furigana
// runs, merged cells, numbers), so form reading is tested on layouts the fixtures do not have.
#pragma once

#include <zip.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kakitome::testing {

struct BuiltCell {
    std::string reference;  // "B3"
    std::string text;       // a shared string, unless number is set
    bool is_number = false;
    std::string number;
    std::string phonetic;  // furigana added as an <rPh> run, which readers must skip
};

inline std::string escape_xml(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Entries: path -> bytes, zipped with libzip (deflate).
inline std::string zip_entries(const std::vector<std::pair<std::string, std::string>>& entries) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    if (!archive) throw std::runtime_error("zip_open_from_source failed");
    zip_source_keep(buffer);
    for (const auto& [name, data] : entries) {
        zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
        if (zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0)
            throw std::runtime_error("zip_file_add");
    }
    if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
    zip_source_open(buffer);
    zip_source_seek(buffer, 0, SEEK_END);
    const auto size = zip_source_tell(buffer);
    zip_source_seek(buffer, 0, SEEK_SET);
    std::string out(static_cast<std::size_t>(size), '\0');
    zip_source_read(buffer, out.data(), static_cast<zip_uint64_t>(size));
    zip_source_close(buffer);
    zip_source_free(buffer);
    return out;
}

inline std::string build_xlsx(const std::vector<BuiltCell>& cells,
                              const std::vector<std::string>& merged = {},
                              const std::string& sheet_name = "申請書") {
    std::string shared =
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">";
    std::map<int, std::string> rows;
    int index = 0;
    for (const auto& cell : cells) {
        const std::string row = cell.reference.substr(cell.reference.find_first_of("0123456789"));
        std::string xml;
        if (cell.is_number) {
            xml = "<c r=\"" + cell.reference + "\"><v>" + cell.number + "</v></c>";
        } else {
            shared += "<si><t xml:space=\"preserve\">" + escape_xml(cell.text) + "</t>";
            if (!cell.phonetic.empty())
                shared += "<rPh sb=\"0\" eb=\"1\"><t>" + escape_xml(cell.phonetic) + "</t></rPh>";
            shared += "</si>";
            xml = "<c r=\"" + cell.reference + "\" t=\"s\"><v>" + std::to_string(index++) +
                  "</v></c>";
        }
        rows[std::stoi(row)] += xml;
    }
    shared += "</sst>";
    std::string sheet =
        "<worksheet "
        "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
    for (const auto& [number, xml] : rows)
        sheet += "<row r=\"" + std::to_string(number) + "\">" + xml + "</row>";
    sheet += "</sheetData>";
    if (!merged.empty()) {
        sheet += "<mergeCells count=\"" + std::to_string(merged.size()) + "\">";
        for (const auto& range : merged) sheet += "<mergeCell ref=\"" + range + "\"/>";
        sheet += "</mergeCells>";
    }
    sheet += "</worksheet>";
    const std::string workbook =
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
        "<sheet name=\"" +
        escape_xml(sheet_name) + "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    const std::string workbook_rels =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
        "Target=\"worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId2\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "sharedStrings\" Target=\"sharedStrings.xml\"/>"
        "</Relationships>";
    const std::string package_rels =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "officeDocument\" Target=\"xl/workbook.xml\"/>"
        "</Relationships>";
    return zip_entries({{"_rels/.rels", package_rels},
                        {"xl/workbook.xml", workbook},
                        {"xl/_rels/workbook.xml.rels", workbook_rels},
                        {"xl/worksheets/sheet1.xml", sheet},
                        {"xl/sharedStrings.xml", shared}});
}

}  // namespace kakitome::testing
