// Reading and validating application forms: every fixture (tests/data/fixtures), plus generated
// layouts.
#include "engine/form/application_form.h"

#include <gtest/gtest.h>

#include "engine/form/form_validation.h"
#include "engine/form/japanese_date.h"
#include "engine/form/text_normalization.h"
#include "fixtures.h"
#include "xlsx_builder.h"

namespace kakitome::form {
namespace {

using testing::build_xlsx;
using testing::BuiltCell;
using testing::manifest;
using testing::read_fixture;

TEST(ApplicationForm, EveryFixtureParsesAndValidatesAsTheManifestSays) {
    ASSERT_EQ(manifest()["forms"].size(), 11u);
    for (const auto& [name, entry] : manifest()["forms"].items()) {
        SCOPED_TRACE(name);
        auto form = read_application_form(read_fixture("forms/" + name + ".xlsx"));
        ASSERT_TRUE(form.is_ok()) << form.status().to_string();
        EXPECT_EQ(nlohmann::json::parse(form->to_json()), entry["expected"]);
        const auto reasons = validate_application_form(form.value());
        EXPECT_EQ(reasons.empty(), entry["valid"].get<bool>()) << nlohmann::json(reasons).dump();
        if (!reasons.empty()) {
            EXPECT_EQ(reasons.size(), 1u) << "each invalid fixture breaks one rule";
        }
    }
}

// What staff type finds an organisation however the applicant wrote it.
TEST(TextNormalization, SearchKeysFoldWidthCaseSpacesAndKana) {
    EXPECT_EQ(search_key("ＡＢＣ商事　株式会社"), "abc商事株式会社");
    EXPECT_EQ(search_key("サクラ病院"), "さくら病院");
    EXPECT_EQ(search_key("ｻｸﾗ ﾋﾞｮｳｲﾝ"), "さくらびょういん");  // half-width, voiced marks joined
    EXPECT_EQ(search_key("ヴァ ヶ ヽ"), "ゔぁゖゝ");
    EXPECT_EQ(search_key("ー・"), "ー・");  // the long vowel and middle dot are not kana letters
    EXPECT_EQ(matching_key("サクラ"), "サクラ");  // label matching keeps katakana apart
}

TEST(ApplicationForm, ReasonCodesNameTheBrokenRule) {
    const std::map<std::string, std::string> expected = {
        {"invalid_consent_blank", "consent_not_given"},
        {"invalid_date_after_period", "date_outside_usage_period"},
        {"invalid_email", "invalid_contact_email"},
        {"invalid_missing_org", "missing_organization"},
        {"invalid_no_consent", "consent_not_given"},
        {"invalid_other_without_text", "other_usage_without_text"},
        {"invalid_unknown_usage", "unknown_usage"}};
    for (const auto& [name, code] : expected) {
        auto form = read_application_form(read_fixture("forms/" + name + ".xlsx")).value();
        EXPECT_EQ(validate_application_form(form), std::vector<std::string>{code}) << name;
    }
}

// Excel's own way: shared strings with furigana, labels in column B, merged label cells, a date
// serial, values moved one row down, usages separated by "、", full-width usage spelling.
TEST(ApplicationForm, ReadsExcelStyleLayoutsByLabelNotPosition) {
    const std::string xlsx = build_xlsx(
        {
            {.reference = "B2", .text = "PR動画 利用申請書"},
            {.reference = "B4", .text = "申　請　日"},
            {.reference = "E4", .is_number = true, .number = "45818"},
            {.reference = "B5",
             .text = "会社名／団体名 ※正式名称でご入力ください。",
             .phonetic = "カイシャメイ"},
            {.reference = "E5", .text = "  株式会社 みなと薬局　"},
            {.reference = "B6", .text = "ご担当者メールアドレス"},
            {.reference = "E6", .text = "info@minato-ph.example.com"},
            {.reference = "B7", .text = "動画の使用・活用先 (プルダウンによる複数選択可)"},
            {.reference = "E7", .text = "公式ＨＰ、イントラネット，その他"},
            {.reference = "B8",
             .text = "動画の使用・活用先で「その他」を選択した方はご記入ください。"},
            {.reference = "E8", .text = "待合室のサイネージ"},
            {.reference = "B9", .text = "備考欄"},
            {.reference = "B10", .text = "以下同意書を確認のうえ、プルダウンにてご選択ください。"},
            {.reference = "E10", .text = "同意する"},
        },
        {"B4:D4", "B5:D5", "B6:D6", "B7:D7", "B8:D8", "B9:D9", "B10:D10"});
    auto form = read_application_form(xlsx);
    ASSERT_TRUE(form.is_ok()) << form.status().to_string();
    EXPECT_EQ(form->application_date, "2025-06-10");
    EXPECT_EQ(form->organization, "株式会社 みなと薬局");
    EXPECT_EQ(form->contact_email, "info@minato-ph.example.com");
    EXPECT_EQ(form->usages, (std::vector<std::string>{"公式HP", "イントラネット", "その他"}));
    EXPECT_EQ(form->usage_other, "待合室のサイネージ");
    EXPECT_EQ(form->remarks, "");
    EXPECT_EQ(form->consent, "同意する");
    EXPECT_TRUE(validate_application_form(form.value()).empty());
}

TEST(ApplicationForm, ReiwaDateAcrossCellsWithFullWidthDigits) {
    const std::string xlsx = build_xlsx({
        {.reference = "A3", .text = "申請日"},
        {.reference = "B3", .text = "令和"},
        {.reference = "C3", .text = "７"},
        {.reference = "D3", .text = "年"},
        {.reference = "E3", .text = "１２"},
        {.reference = "F3", .text = "月"},
        {.reference = "G3", .text = "１"},
        {.reference = "H3", .text = "日"},
        {.reference = "A4", .text = "会社名"},
        {.reference = "B4", .text = "x"},
        {.reference = "A5", .text = "メールアドレス"},
        {.reference = "A6", .text = "備考"},
    });
    auto form = read_application_form(xlsx);
    ASSERT_TRUE(form.is_ok()) << form.status().to_string();
    EXPECT_EQ(form->application_date, "2025-12-01");
}

TEST(ApplicationForm, SomethingThatIsNotTheFormIsSaidSo) {
    auto other = read_application_form(
        build_xlsx({{.reference = "A1", .text = "売上表"}, {.reference = "B1", .text = "100"}}));
    EXPECT_EQ(other.status().reason(), "form_not_found");
    EXPECT_EQ(read_application_form("not a zip").status().reason(), "not_a_zip");
    EXPECT_EQ(read_application_form(std::string("PK\x03\x04garbage", 11)).status().reason(),
              "bad_zip");
    auto no_workbook = read_application_form(testing::zip_entries({{"hello.txt", "hi"}}));
    EXPECT_EQ(no_workbook.status().reason(), "bad_xlsx");
}

TEST(ZipLimits, ABombIsRefusedBeforeItIsInflated) {
    // 60 MB of zeros deflates to about 60 KB: over both the 50 MB total and the 100:1 ratio.
    const std::string bomb =
        testing::zip_entries({{"xl/workbook.xml", std::string(60u << 20, '\0')}});
    ASSERT_LT(bomb.size(), 1u << 20);
    auto result = read_application_form(bomb);
    EXPECT_EQ(result.status().code(), StatusCode::resource_exhausted);
    EXPECT_EQ(result.status().reason(), "zip_bomb");
    // Ratio alone: 5 MB of zeros is under the total but far over 100:1.
    auto ratio = read_application_form(
        testing::zip_entries({{"xl/workbook.xml", std::string(5u << 20, '\0')}}));
    EXPECT_EQ(ratio.status().reason(), "zip_bomb");
    // Total alone, with a tight limit and incompressible-ish data.
    std::string noise(300000, '\0');
    for (std::size_t i = 0; i < noise.size(); ++i)
        noise[i] = static_cast<char>((i * 2654435761u) >> 13);
    auto total = read_worksheets(testing::zip_entries({{"a", noise}, {"b", noise}}),
                                 {.max_total_uncompressed = 500000});
    EXPECT_EQ(total.status().reason(), "zip_bomb");
}

// Issue 14 §3: a million-cell form took 4.3 s and 449 MB. A form has about 20 fields; what is
// read from one is capped (cells, rows), with a reason of its own.
TEST(FormLimits, TooManyCellsOrRowsAreRefused) {
    std::vector<testing::BuiltCell> cells;
    for (int row = 1; row <= 2100; ++row)
        for (const char* column : {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"})
            cells.push_back(
                {std::string(column) + std::to_string(row), "", true, std::to_string(row)});
    auto wide = read_worksheets(testing::build_xlsx(cells));
    EXPECT_EQ(wide.status().code(), StatusCode::resource_exhausted);
    EXPECT_EQ(wide.status().reason(), "form_too_large") << wide.status().to_string();
    EXPECT_NE(wide.status().message().find("cells"), std::string::npos);
    std::vector<testing::BuiltCell> tall;
    for (int row = 1; row <= 5001; ++row)
        tall.push_back({"A" + std::to_string(row), "", true, "7"});
    auto rows = read_worksheets(testing::build_xlsx(tall));
    EXPECT_EQ(rows.status().reason(), "form_too_large") << rows.status().to_string();
    EXPECT_NE(rows.status().message().find("rows"), std::string::npos);
    tall.pop_back();
    EXPECT_TRUE(read_worksheets(testing::build_xlsx(tall)).is_ok()) << "5,000 rows are read";
}

TEST(JapaneseDate, ErasWesternFormsAndSerials) {
    EXPECT_EQ(parse_japanese_date("令和7年6月10日"), "2025-06-10");
    EXPECT_EQ(parse_japanese_date("令和元年5月1日"), "2019-05-01");
    EXPECT_EQ(parse_japanese_date("令和1年4月30日"), std::nullopt);  // before 令和 began
    EXPECT_EQ(parse_japanese_date("平成31年4月30日"), "2019-04-30");
    EXPECT_EQ(parse_japanese_date("Ｒ７．６．１０"), "2025-06-10");
    EXPECT_EQ(parse_japanese_date("2025/6/10"), "2025-06-10");
    EXPECT_EQ(parse_japanese_date("2025年06月10日"), "2025-06-10");
    EXPECT_EQ(parse_japanese_date("令和7年2月29日"), std::nullopt);
    EXPECT_EQ(parse_japanese_date("令和8年2月29日"), std::nullopt);
    EXPECT_EQ(parse_japanese_date("令和10年2月29日"), "2028-02-29");
    EXPECT_EQ(parse_japanese_date("来週"), std::nullopt);
    EXPECT_EQ(excel_serial_to_date(45818), "2025-06-10");
    EXPECT_EQ(excel_serial_to_date(1), "1900-01-01");
    EXPECT_EQ(excel_serial_to_date(59), "1900-02-28");
    EXPECT_EQ(excel_serial_to_date(60), std::nullopt);
    EXPECT_EQ(excel_serial_to_date(61), "1900-03-01");
    EXPECT_EQ(excel_serial_to_date(45818.75), "2025-06-10");
}

TEST(Validation, ContactEmails) {
    for (const char* good : {"koho@sakura-hp.example.jp", "a.b+c@x-y.example.or.jp"})
        EXPECT_TRUE(is_valid_contact_email(good)) << good;
    for (const char* bad :
         {"koho＠sakura-hp", "koho@sakura-hp", "@example.jp", "a@@example.jp", "a b@example.jp",
          "a@-x.example.jp", "a..b@example.jp", "", "a@example..jp", "山田@example.jp"}) {
        EXPECT_FALSE(is_valid_contact_email(bad)) << bad;
    }
}

TEST(Validation, DuplicatesAndOrdering) {
    auto form = read_application_form(read_fixture("forms/valid_basic.xlsx")).value();
    const std::string key = duplicate_key(form);
    ValidationRules rules{
        .already_issued = [&](const std::string& candidate) { return candidate == key; }};
    EXPECT_EQ(validate_application_form(form, rules),
              std::vector<std::string>{"duplicate_application"});
    // Width and case variants of the same applicant are the same applicant.
    ApplicationForm variant = form;
    variant.organization = "医療法人社団　桜会　さくら病院";
    variant.contact_email = "KOHO@sakura-hp.example.jp";
    EXPECT_EQ(duplicate_key(variant), key);
    ApplicationForm broken;
    broken.usages = {"その他", "ラジオ"};
    EXPECT_EQ(validate_application_form(broken),
              (std::vector<std::string>{"missing_application_date", "missing_organization",
                                        "invalid_contact_email", "unknown_usage",
                                        "other_usage_without_text", "consent_not_given"}));
}

TEST(SplitUsages, AllSeparators) {
    EXPECT_EQ(split_usages("公式HP,公式SNS"), (std::vector<std::string>{"公式HP", "公式SNS"}));
    EXPECT_EQ(split_usages("公式HP、 施設内モニター\n\nその他 "),
              (std::vector<std::string>{"公式HP", "施設内モニター", "その他"}));
    EXPECT_TRUE(split_usages(" 、 ").empty());
}

}  // namespace
}  // namespace kakitome::form
