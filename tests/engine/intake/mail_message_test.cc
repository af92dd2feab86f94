// Parsing and classifying real-world mail: the fixtures (made with Python's email
// package) and generated variants in the encodings Japanese clients use.
#include "engine/intake/mail_message.h"

#include <gtest/gtest.h>

#include "engine/intake/mail_classification.h"
#include "engine/office/compound_file_writer.h"
#include "engine/office/office_document.h"
#include "fixtures.h"
#include "mail_builder.h"

namespace kakitome::intake {
namespace {

using testing::build_mail;
using testing::encoded_word;
using testing::manifest;
using testing::read_fixture;

TEST(MailFixtures, EveryMailClassifiesAsTheManifestSays) {
    ASSERT_EQ(manifest()["mail"].size(), 7u);
    for (const auto& [name, entry] : manifest()["mail"].items()) {
        SCOPED_TRACE(name);
        auto mail = parse_mail(read_fixture("mail/" + name));
        ASSERT_TRUE(mail.is_ok()) << mail.status().to_string();
        const MailClassification classified = classify_mail(mail.value());
        EXPECT_STREQ(mail_kind_name(classified.kind), entry["kind"].get<std::string>().c_str());
        if (entry["kind"] == "unrelated") continue;
        EXPECT_EQ(normalize_sender(mail->sender_address), entry["sender"]);
        EXPECT_EQ(mail->subject, "PR 動画利用申請");
        if (entry["kind"] == "password") {
            EXPECT_EQ(classified.password, entry["password"]);
            const bool warned = std::find(classified.warnings.begin(), classified.warnings.end(),
                                          "signature_ignored") != classified.warnings.end();
            EXPECT_EQ(warned, entry["has_signature"].get<bool>());
        } else {
            ASSERT_NE(classified.attachment, nullptr);
            EXPECT_EQ(classified.attachment->bytes,
                      read_fixture("encrypted/" + entry["attachment"].get<std::string>()));
            EXPECT_EQ(classified.attachment->filename,
                      "PR動画利用申請書_" + std::to_string(entry["pair"].get<int>()) + ".xlsx");
        }
    }
}

TEST(Subject, MatchesAfterNormalisationAndReplyPrefixes) {
    for (const char* subject :
         {"PR 動画利用申請", "PR動画利用申請", "ＰＲ　動画利用申請", "Re: PR 動画利用申請",
          "RE:PR 動画利用申請", "Fw: Re: PR 動画利用申請", "FWD: PR  動画 利用 申請",
          "pr 動画利用申請", "Re[2]: PR 動画利用申請", "転送: PR 動画利用申請"}) {
        EXPECT_TRUE(subject_matches(subject)) << subject;
    }
    for (const char* subject : {"お問い合わせ", "PR 動画利用申請について", "PR 動画", "",
                                "Re: お問い合わせ PR 動画利用申請"}) {
        EXPECT_FALSE(subject_matches(subject)) << subject;
    }
}

TEST(Senders, NormalisedForPairing) {
    EXPECT_EQ(normalize_sender("Koho@Sakura-HP.Example.JP"), "koho@sakura-hp.example.jp");
    // Expected A-label from Python's independent IDNA codec: '病院'.encode('idna') ==
    // b'xn--0rys90e'.
    EXPECT_EQ(normalize_sender("info@病院.example.jp"), "info@xn--0rys90e.example.jp");
    EXPECT_EQ(normalize_sender("info@病院.EXAMPLE.jp"), normalize_sender("INFO@病院.example.jp"));
}

const std::string kSubject = "PR 動画利用申請";

TEST(Encodings, SubjectsAndBodiesInEveryJapaneseCharset) {
    struct Case {
        const char* label;          // charset= as the client declares it
        const char* body_iconv;     // how the client really encodes the body
        const char* subject_iconv;  // and the subject's encoded word
        const char* transfer;
        bool
            has_extended_characters;  // ①～ exist in CP932, EUC-JP-MS and UTF-8, not in ISO-2022-JP
    } cases[] = {{"ISO-2022-JP", "ISO-2022-JP", "ISO-2022-JP", "7bit", false},
                 {"Shift_JIS", "CP932", "SHIFT_JIS", "8bit", true},
                 {"UTF-8", "UTF-8", "UTF-8", "8bit", true},
                 {"EUC-JP", "EUC-JP-MS", "EUC-JP", "8bit", true}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.label);
        const std::string password = c.has_extended_characters ? "パスワード①～" : "パスワード";
        const std::string raw = build_mail(
            "Taro <taro@example.jp>", encoded_word(kSubject, c.subject_iconv), "m@example.jp",
            "Content-Type: text/plain; charset=" + std::string(c.label) +
                "\r\nContent-Transfer-Encoding: " + c.transfer + "\r\n",
            testing::convert(password + "\n\n--\n署名 太郎\n", c.body_iconv));
        auto mail = parse_mail(raw);
        ASSERT_TRUE(mail.is_ok()) << mail.status().to_string();
        const auto classified = classify_mail(mail.value());
        EXPECT_EQ(classified.kind, MailKind::password);
        EXPECT_EQ(classified.password, password);
        EXPECT_EQ(classified.warnings, std::vector<std::string>{"signature_ignored"});
    }
}

TEST(Encodings, QuotedPrintableRfc2231AndHtmlOnly) {
    const std::string qp =
        build_mail("a@example.jp",
                   "=?UTF-8?Q?PR_=E5=8B=95=E7=94=BB=E5=88=A9=E7=94=A8=E7=94=B3=E8=AB=8B?=", "q@x",
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
                   "quoted-printable\r\n",
                   "=E7=A7=98=E5=AF=86pass\r\n");
    auto mail = parse_mail(qp);
    ASSERT_TRUE(mail.is_ok());
    EXPECT_EQ(classify_mail(mail.value()).password, "秘密pass");

    const std::string html =
        build_mail("a@example.jp", encoded_word(kSubject, "UTF-8"), "h@x",
                   "Content-Type: text/html; charset=utf-8\r\n",
                   "<html><body><div>Abc&amp;123</div><div>山田</div></body></html>");
    mail = parse_mail(html);
    ASSERT_TRUE(mail.is_ok());
    const auto classified = classify_mail(mail.value());
    EXPECT_EQ(classified.kind, MailKind::password);
    EXPECT_EQ(classified.password, "Abc&123");

    const std::string form = office::encrypt_document(read_fixture("forms/valid_basic.xlsx"), "pw",
                                                      office::EncryptionMethod::agile, 1000)
                                 .value();
    const std::string rfc2231 = build_mail(
        "a@example.jp", encoded_word(kSubject, "UTF-8"), "f@x", "Content-Type: text/plain\r\n", "",
        {{.filename_header = "filename*=utf-8''%E7%94%B3%E8%AB%8B%E6%9B%B8.xlsx", .bytes = form}});
    mail = parse_mail(rfc2231);
    ASSERT_TRUE(mail.is_ok());
    EXPECT_EQ(classify_mail(mail.value()).kind, MailKind::form);
    EXPECT_EQ(mail->attachments.at(0).filename, "申請書.xlsx");
}

TEST(BadInput, EveryKindOfBrokenMailHasAReason) {
    const std::string form = office::encrypt_document(read_fixture("forms/valid_basic.xlsx"), "pw",
                                                      office::EncryptionMethod::agile, 1000)
                                 .value();
    const std::string subject = encoded_word(kSubject, "UTF-8");
    const std::string text = "Content-Type: text/plain; charset=utf-8\r\n";
    struct Case {
        std::string name, raw, reason;
    } cases[] = {
        {"NUL", build_mail("a@example.jp", subject, "n@x", text, std::string("pw\0x", 4)),
         "nul_bytes"},
        {"bogus charset",
         build_mail("a@example.jp", subject, "c@x",
                    "Content-Type: text/plain; charset=x-klingon\r\n", "pw"),
         "unknown_charset"},
        {"garbage", std::string(3000, '\x01') + "\xff\xfe", "malformed_mime"},
        {"no sender", "Subject: hello\r\n\r\nbody", "missing_sender"},
        {"two attachments",
         build_mail("a@example.jp", subject, "2@x", text, "",
                    {{"filename=a.xlsx", "application/octet-stream", form},
                     {"filename=b.xlsx", "application/octet-stream", form}}),
         "multiple_attachments"},
        {"no attachment, no body", build_mail("a@example.jp", subject, "0@x", text, "\r\n \r\n"),
         "no_attachment"},
        {"pdf",
         build_mail("a@example.jp", subject, "p@x", text, "",
                    {{"filename=a.pdf", "application/pdf", "%PDF-1.7 ..."}}),
         "attachment_not_office"},
        {"plain xlsx",
         build_mail("a@example.jp", subject, "x@x", text, "",
                    {{"filename=a.xlsx", "application/octet-stream",
                      read_fixture("forms/valid_basic.xlsx")}}),
         "attachment_not_encrypted"},
        {"long password", build_mail("a@example.jp", subject, "l@x", text, std::string(300, 'p')),
         "password_too_long"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto mail = parse_mail(c.raw);
        std::string reason =
            mail.is_ok() ? classify_mail(mail.value()).reason : mail.status().reason();
        if (mail.is_ok()) {
            EXPECT_EQ(classify_mail(mail.value()).kind, MailKind::rejected);
        }
        EXPECT_EQ(reason, c.reason);
    }
    // A refusal's detail is stored in the clear: it never carries the file's name.
    const std::string plain_compound =
        office::write_compound_file({{"Workbook", std::string(600, 'x')}}).value();
    auto named =
        parse_mail(build_mail("a@example.jp", subject, "named@x", text, "",
                              {{"filename*=UTF-8''%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E.xls",
                                "application/vnd.ms-excel", plain_compound}}));
    ASSERT_TRUE(named.is_ok());
    const auto refused = classify_mail(named.value());
    EXPECT_EQ(refused.reason, "attachment_not_office");
    EXPECT_EQ(refused.detail, "the attachment is a compound file without Office encryption (.xls)");
    auto big = parse_mail(std::string(2000, 'a'), {.max_bytes = 1000});
    EXPECT_EQ(big.status().code(), StatusCode::resource_exhausted);
    EXPECT_EQ(big.status().reason(), "too_large");
}

}  // namespace
}  // namespace kakitome::intake
