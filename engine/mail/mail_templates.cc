#include "engine/mail/mail_templates.h"

#include <algorithm>
#include <map>

namespace kakitome::mail {

const char* template_name(MailTemplate which) {
    switch (which) {
        case MailTemplate::url_notice:
            return "url_notice";
        case MailTemplate::correction_request:
            return "correction_request";
        case MailTemplate::rejection:
            return "rejection";
        case MailTemplate::password_reminder:
            return "password_reminder";
        case MailTemplate::intake_refused:
            return "intake_refused";
    }
    return "unknown";
}

std::string japanese_date(const std::string& iso_date) {
    if (iso_date.size() != 10) return iso_date;
    return iso_date.substr(0, 4) + "年" + std::to_string(std::stoi(iso_date.substr(5, 2))) + "月" +
           std::to_string(std::stoi(iso_date.substr(8, 2))) + "日";
}

namespace {

const std::map<std::string, std::string>& reason_wording() {
    static const std::map<std::string, std::string> wording = {
        {"consent_not_given", "利用条件への同意（同意する）が選択されていません"},
        {"date_outside_usage_period", "申請日が動画の利用期間の外です"},
        {"duplicate_application", "同じ内容の申請がすでに承認されています"},
        {"invalid_contact_email", "連絡先メールアドレスの形式が正しくありません"},
        {"missing_application_date", "申請日が記入されていません"},
        {"missing_organization", "団体名（組織名）が記入されていません"},
        {"no_usage_selected", "利用媒体が一つも選択されていません"},
        {"other_usage_without_text", "「その他」を選択した場合はその内容を記入してください"},
        {"unknown_usage", "利用媒体に選択肢以外の値があります"},
        {"wrong_password", "パスワードで申請書を開けませんでした"},
        {"tampered_package", "申請書ファイルが壊れているか、改変されています"},
        {"not_encrypted_office_file", "申請書にパスワードが設定されていません"},
        {"unsupported_encryption", "申請書の暗号化方式に対応していません"},
        {"form_not_found", "申請書の様式が見つかりません（様式を変更せずにご記入ください）"},
        {"bad_xlsx", "申請書ファイルを読み取れませんでした"},
        {"bad_zip", "申請書ファイルを読み取れませんでした"},
        {"not_a_zip", "申請書ファイルを読み取れませんでした"},
        {"zip_bomb", "申請書ファイルの内容が大きすぎます"},
        {"form_too_large", "申請書ファイルの内容が大きすぎます"},
        {"bad_container", "申請書ファイルを読み取れませんでした"},
        {"bad_encrypted_data", "申請書ファイルを読み取れませんでした"},
        // Why intake refused a mail (the intake_refused answer).
        {"attachment_not_encrypted",
         "添付の申請書に読み取りパスワードが設定されていません（個人情報を含むため、パスワードを"
         "設定してからお送りください）"},
        {"no_attachment", "申請書が添付されておらず、本文にパスワードの記載もありません"},
        {"multiple_attachments", "添付ファイルが複数あります（申請書1つだけを添付してください）"},
        {"attachment_not_office", "添付ファイルがパスワード付きのExcel申請書ではありません"},
        {"password_too_long",
         "パスワードのメールの1行目が長すぎます（本文にはパスワードのみを記載してください）"},
        {"password_has_control_characters",
         "パスワードのメールに、パスワードには使えない文字（タブなど）が含まれています"},
        {"unknown_charset",
         "メールの文字コードを読み取れませんでした（通常の設定のメールソフトからお送りください）"},
        {"too_large", "メールが大きすぎます（申請書1つだけを添付してください）"},
        {"mime_too_deep",
         "メールの構成が複雑すぎて読み取れませんでした（申請書を直接添付してお送りください）"},
        {"spin_count_too_high",
         "申請書の暗号化の設定が標準と異なるため開けません（Excelの「パスワードを使用して暗号化"
         "」でパスワードを設定してください）"},
    };
    return wording;
}

}  // namespace

bool is_known_reason(const std::string& code) {
    return reason_wording().count(code) > 0;
}

std::string explain_reason(const std::string& code) {
    auto found = reason_wording().find(code);
    return found == reason_wording().end() ? code : found->second;
}

RenderedMail render_mail(MailTemplate which, const TemplateFields& fields) {
    const std::string greeting =
        (fields.organization.empty() ? "" : fields.organization + "\nご担当者様\n\n") +
        std::string("PR動画の利用申請をいただき、ありがとうございます。\n\n");
    const std::string signature = "\n--\n" + fields.secretariat + "\n本メールは送信専用です。\n";
    std::string reasons;
    for (const auto& code : fields.codes) {
        reasons += "・" + explain_reason(code);
        if (code == "date_outside_usage_period" && !fields.usage_period.empty())
            reasons += "（" + fields.usage_period + "）";
        reasons += "\n";
    }
    switch (which) {
        case MailTemplate::url_notice:
            return {"【PR 動画利用申請】ダウンロードURLのご案内",
                    greeting + "下記のURLから動画をダウンロードしてください。\n\n" + fields.url +
                        "\n\n" + "URLの有効期限：" + fields.url_expires + "\n" +
                        "動画の利用期間：" + fields.usage_period + "\n\n" +
                        "URLはお申込みの方専用です。第三者に転送しないでください。\n" + signature};
        case MailTemplate::correction_request:
            return {"【PR 動画利用申請】申請書の修正のお願い",
                    greeting +
                        "お送りいただいた申請書について、次の点をご確認のうえ、修正した申請書を" +
                        "あらためてお送りください（パスワードは別のメールでお送りください）。\n\n" +
                        reasons + (fields.message.empty() ? "" : "\n" + fields.message + "\n") +
                        signature};
        case MailTemplate::rejection:
            return {"【PR 動画利用申請】申請を承認できませんでした",
                    greeting +
                        "誠に恐れ入りますが、次の理由により今回の申請を承認できませんでした。\n\n" +
                        reasons + (fields.message.empty() ? "" : "\n" + fields.message + "\n") +
                        signature};
        case MailTemplate::intake_refused:
            return {
                "【PR 動画利用申請】お送りいただいたメールを受け付けられませんでした",
                "PR動画の利用申請のメールをお送りいただき、ありがとうございます。\n\n" +
                    std::string("件名「PR 動画利用申請」のメール") +
                    (fields.received.empty() ? "" : "（" + fields.received + "受信）") +
                    "は、次の理由により受け付けられませんでした。\n\n" + reasons +
                    "\nお手数ですが、次の手順であらためてお送りください。\n"
                    "1. 申請書（Excel）に読み取りパスワードを設定してください。\n"
                    "2. 件名「PR 動画利用申請」のメールに、申請書を1つだけ添付してお送りください"
                    "。\n"
                    "3. 同じ件名の別のメールで、本文にパスワードのみを記載してお送りください。\n\n"
                    "このメールは自動でお送りしています。同じメールについて重ねてお送りする"
                    "ことはありません。\n" +
                    signature};
        case MailTemplate::password_reminder: {
            const bool mismatch = std::find(fields.codes.begin(), fields.codes.end(),
                                            "wrong_password") != fields.codes.end();
            return {
                "【PR 動画利用申請】パスワードのご送付のお願い",
                greeting +
                    (mismatch ? std::string("お送りいただいたパスワードでは申請書を開けませんでした"
                                            "。正しいパスワードを、")
                              : std::string("申請書は受け付けましたが、申請書を開くためのパスワード"
                                            "のメールがまだ届いていません。\n")) +
                    "件名「PR "
                    "動画利用申請」で、本文にパスワードのみを記載したメールをお送りください。\n" +
                    signature};
        }
    }
    return {};
}

}  // namespace kakitome::mail
