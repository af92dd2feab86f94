#include "engine/form/application_form.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "engine/domain/usage_channel.h"
#include "engine/form/japanese_date.h"
#include "engine/form/text_normalization.h"

namespace kakitome::form {

namespace {

enum class Field { date, organization, email, usages, usage_other, remarks, consent };
constexpr int kFieldCount = 7;

// Phrases that identify each label. The full labels of the reference form come first; the
// shorter phrases let a reworded form still be read. usage_other's phrase is more specific than
// usages', and the longest matching phrase wins.
struct LabelPhrases {
    Field field;
    std::vector<std::string> phrases;
};
const std::vector<LabelPhrases>& label_phrases() {
    static const std::vector<LabelPhrases> phrases = [] {
        std::vector<LabelPhrases> raw = {
            {Field::date, {"申請日"}},
            {Field::organization,
             {"会社名／団体名 ※正式名称でご入力ください。", "会社名/団体名", "団体名", "会社名",
              "法人名"}},
            {Field::email, {"ご担当者メールアドレス", "メールアドレス", "e-mail", "email"}},
            {Field::usages,
             {"動画の使用・活用先 (プルダウンによる複数選択可)", "動画の使用・活用先",
              "使用・活用先"}},
            {Field::usage_other,
             {"動画の使用・活用先で「その他」を選択した方はご記入ください。", "「その他」を選択",
              "その他を選択"}},
            {Field::remarks, {"備考欄", "備考"}},
            {Field::consent,
             {"以下同意書を確認のうえ、プルダウンにてご選択ください。", "同意書を確認",
              "同意の有無"}},
        };
        for (auto& entry : raw) {
            for (auto& phrase : entry.phrases) phrase = matching_key(phrase);
        }
        return raw;
    }();
    return phrases;
}

// The field a cell labels, if any.
std::optional<Field> label_field(const CellValue& cell) {
    if (cell.kind != CellValue::Kind::text) return std::nullopt;
    const std::string key = matching_key(cell.text);
    if (key.empty()) return std::nullopt;
    std::optional<Field> best;
    std::size_t best_length = 0;
    for (const auto& entry : label_phrases()) {
        for (const auto& phrase : entry.phrases) {
            const bool matches = key == phrase || key.find(phrase) != std::string::npos;
            if (matches && phrase.size() > best_length) {
                best = entry.field;
                best_length = phrase.size();
            }
        }
    }
    return best;
}

struct LabelPosition {
    int row = 0, column = 0;
};

class FormSheet {
  public:
    explicit FormSheet(const Worksheet& sheet) : sheet_(sheet) {
        for (const auto& [position, cell] : sheet.cells) {  // row-major order: first label wins
            if (auto field = label_field(cell)) {
                auto& slot = labels_[static_cast<int>(*field)];
                if (!slot) slot = LabelPosition{position.first, position.second};
                label_cells_.insert(position);
            }
        }
    }
    int labels_found() const {
        return static_cast<int>(std::count_if(labels_.begin(), labels_.end(),
                                              [](const auto& l) { return l.has_value(); }));
    }

    // The cells right of the label on its row (past its merged range), skipping other labels;
    // when there are none, the cell below the label.
    std::vector<const CellValue*> values_of(Field field) const {
        std::vector<const CellValue*> values;
        const auto& label = labels_[static_cast<int>(field)];
        if (!label) return values;
        const CellRange range = sheet_.range_of(label->row, label->column);
        for (auto it = sheet_.cells.lower_bound({label->row, range.last_column + 1});
             it != sheet_.cells.end() && it->first.first == label->row; ++it) {
            if (label_cells_.count(it->first)) break;
            if (!trim(it->second.text).empty()) values.push_back(&it->second);
        }
        if (values.empty()) {
            const std::pair<int, int> below{range.last_row + 1, label->column};
            const CellValue* cell = sheet_.at(below.first, below.second);
            if (cell && !label_cells_.count(below) && !trim(cell->text).empty())
                values.push_back(cell);
        }
        return values;
    }

    std::string text_of(Field field) const {
        const auto values = values_of(field);
        return values.empty() ? std::string() : trim(values.front()->text);
    }

  private:
    const Worksheet& sheet_;
    std::array<std::optional<LabelPosition>, kFieldCount> labels_;
    std::set<std::pair<int, int>> label_cells_;
};

std::string canonical_usage(const std::string& item) {
    const std::string key = matching_key(item);
    // The labels of the form's drop-down (engine/domain/usage_channel.h).
    for (const auto& channel : domain::kUsageChannels) {
        if (matching_key(channel.label) == key) return std::string(channel.label);
    }
    return item;
}

}  // namespace

std::vector<std::string> split_usages(std::string_view text) {
    std::vector<std::string> items;
    std::string current;
    auto flush = [&] {
        std::string item = trim(current);
        if (!item.empty()) items.push_back(std::move(item));
        current.clear();
    };
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == ',' || text[i] == '\n' || text[i] == '\r' || text[i] == ';') {
            flush();
            ++i;
        } else if (text.substr(i, 3) == "、" || text.substr(i, 3) == "，" ||
                   text.substr(i, 3) == "；") {
            flush();
            i += 3;
        } else {
            current.push_back(text[i++]);
        }
    }
    flush();
    return items;
}

std::string ApplicationForm::to_json() const {
    return nlohmann::json{{"application_date", application_date},
                          {"organization", organization},
                          {"contact_email", contact_email},
                          {"usages", usages},
                          {"usage_other", usage_other},
                          {"remarks", remarks},
                          {"consent", consent}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ApplicationForm> read_application_form(std::string_view xlsx_bytes,
                                              const ZipLimits& limits) {
    auto sheets = read_worksheets(xlsx_bytes, limits);
    if (!sheets.is_ok()) return sheets.status();
    const Worksheet* chosen = nullptr;
    int best = 0;
    for (const auto& sheet : sheets.value()) {
        const int found = FormSheet(sheet).labels_found();
        if (found > best) {
            best = found;
            chosen = &sheet;
        }
    }
    // At least four of the seven labels: fewer means this is not the application form.
    if (!chosen || best < 4) {
        return Status::invalid_argument("no worksheet holds the application form's labels")
            .with_reason("form_not_found");
    }
    const FormSheet sheet(*chosen);
    ApplicationForm form;
    form.sheet = chosen->name;

    const auto date_cells = sheet.values_of(Field::date);
    if (date_cells.size() == 1 && date_cells[0]->kind == CellValue::Kind::number &&
        date_cells[0]->number > 59) {
        form.application_date = excel_serial_to_date(date_cells[0]->number).value_or("");
        form.application_date_text = date_cells[0]->text;
    } else {
        for (const CellValue* cell : date_cells) form.application_date_text += trim(cell->text);
        form.application_date = parse_japanese_date(form.application_date_text).value_or("");
    }
    form.organization = sheet.text_of(Field::organization);
    form.contact_email = sheet.text_of(Field::email);
    for (const auto& item : split_usages(sheet.text_of(Field::usages)))
        form.usages.push_back(canonical_usage(item));
    form.usage_other = sheet.text_of(Field::usage_other);
    form.remarks = sheet.text_of(Field::remarks);
    form.consent = sheet.text_of(Field::consent);
    return form;
}

}  // namespace kakitome::form
