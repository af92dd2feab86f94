// The state machine through real mails and a real store: legal and illegal transitions,
// optimistic concurrency, overrides, revocation, withdrawal and crypto-shredding.
#include "engine/workflow/workflow_commands.h"

#include <map>
#include <thread>

#include "engine/download/download_service.h"
#include "projections/directory_projection.h"
#include "projections/queue_projection.h"
#include "replay/store_verifier.h"
#include "workflow_fixture.h"

namespace kakitome::workflow {
namespace {

using nlohmann::json;

class Commands : public testing::WorkflowTest {};

TEST_F(Commands, ApproveIssuesALinkStoredOnlyAsItsHashAndQueuesTheNotice) {
    const auto application = paired("koho@sakura-hp.example.jp");
    ASSERT_EQ(state_of(application), "validated");
    auto approved = run(application, "approve");
    ASSERT_TRUE(approved.is_ok()) << approved.status().to_string();
    EXPECT_EQ(approved->state, "url_issued");
    EXPECT_EQ(approved->events,
              (std::vector<std::string>{"ApplicationApproved", "UrlIssued", "MailQueued"}));

    const std::string token = token_mailed_to(application);
    ASSERT_EQ(token.size(), 43u);
    const auto issued = json::parse(events_of_type(application, "UrlIssued").front().payload_json);
    EXPECT_EQ(issued["token_sha256"], to_hex(sha256(token)));
    // Valid through 14 calendar days: to the end of 2026-12-08 JST.
    EXPECT_EQ(issued["expires_at"], "2026-12-08T15:00:00.000Z");
    EXPECT_EQ(everything_stored().find(token), std::string::npos)
        << "the token must not be stored in clear";
    EXPECT_EQ(
        store_
            ->read_stream_forward(domain::token_stream(to_hex(sha256(token))), StreamVersion{1}, 1)
            ->size(),
        1u);
}

TEST_F(Commands, IllegalTransitionsAreTypedErrorsNamingTheState) {
    const auto waiting = awaiting_password("wait@example.jp");
    auto approve = run(waiting, "approve");
    ASSERT_FALSE(approve.is_ok());
    EXPECT_EQ(approve.status().code(), StatusCode::failed_precondition);
    EXPECT_EQ(approve.status().reason(), "illegal_transition");
    EXPECT_NE(approve.status().message().find("awaiting_password"), std::string::npos);
    EXPECT_EQ(run(waiting, "revoke_url", {{"reason", "x"}}).status().reason(),
              "illegal_transition");
    EXPECT_EQ(run(waiting, "reissue_url").status().reason(), "illegal_transition");
    EXPECT_EQ(run(waiting, "launch").status().reason(), "unknown_command");
    EXPECT_EQ(run(waiting, "reject").status().reason(), "missing_argument");
    EXPECT_EQ(run(waiting, "assign").status().reason(), "missing_argument");
    EXPECT_EQ(run("no-such-application", "assign", {{"assignee", "a"}}).status().code(),
              StatusCode::not_found);
    EXPECT_EQ(
        commands_->execute({waiting, "assign", "staff", "[1]", std::nullopt, ""}).status().reason(),
        "invalid_arguments");
    // Nothing was appended by any refused command.
    EXPECT_EQ(types_of(waiting), (std::vector<std::string>{"FormMailReceived"}));

    const auto issued = paired("issued@example.jp");
    ASSERT_TRUE(run(issued, "approve").is_ok());
    EXPECT_NE(run(issued, "approve").status().message().find("url_issued"), std::string::npos);
    EXPECT_EQ(run(issued, "reject", {{"codes", {"consent_not_given"}}}).status().reason(),
              "illegal_transition");
}

TEST_F(Commands, AStaleVersionConflictsAndConcurrentApprovalsIssueOneLink) {
    const auto application = paired("race@example.jp");
    const auto version = load_application(*store_, application)->version;
    auto stale = commands_->execute({application, "assign", "staff-1", R"({"assignee":"sato"})",
                                     StreamVersion{version.value - 1}, ""});
    EXPECT_EQ(stale.status().code(), StatusCode::conflict);
    auto current = commands_->execute(
        {application, "assign", "staff-1", R"({"assignee":"sato"})", version, ""});
    ASSERT_TRUE(current.is_ok());
    EXPECT_EQ(current->version.value, version.value + 1);

    std::atomic<int> succeeded{0}, conflicted{0}, refused{0};
    std::vector<std::thread> staff;
    for (int i = 0; i < 8; ++i) {
        staff.emplace_back([&] {
            auto outcome = run(application, "approve");
            if (outcome.is_ok()) {
                ++succeeded;
            } else if (outcome.status().code() == StatusCode::conflict) {
                ++conflicted;
            } else if (outcome.status().code() == StatusCode::failed_precondition) {
                ++refused;
            }
        });
    }
    for (auto& thread : staff) thread.join();
    EXPECT_EQ(succeeded.load(), 1);
    EXPECT_EQ(succeeded + conflicted + refused, 8);
    EXPECT_EQ(events_of_type(application, "UrlIssued").size(), 1u);
}

TEST_F(Commands, OverridingARejectionNeedsAWrittenJustification) {
    const auto application = paired("noconsent@example.jp", "forms/invalid_no_consent.xlsx");
    ASSERT_EQ(state_of(application), "rejected");
    EXPECT_EQ(run(application, "approve").status().reason(), "missing_argument");
    auto approved =
        run(application, "approve", {{"justification", "同意を電話で確認済み (2026-11-24 佐藤)"}});
    ASSERT_TRUE(approved.is_ok()) << approved.status().to_string();
    EXPECT_EQ(approved->state, "url_issued");
    const auto payload =
        json::parse(events_of_type(application, "ApplicationApproved").front().payload_json);
    EXPECT_EQ(payload["override"], true);
    EXPECT_EQ(payload["overridden_codes"], json::array({"consent_not_given"}));
}

TEST_F(Commands, StaffRejectionAndCorrectionRequestsMailTheApplicant) {
    const auto rejected = paired("reject@example.jp", "forms/invalid_no_consent.xlsx");
    auto correction =
        run(rejected, "request_correction",
            {{"codes", {"consent_not_given"}}, {"message", "同意欄をご確認ください"}});
    ASSERT_TRUE(correction.is_ok()) << correction.status().to_string();
    EXPECT_EQ(correction->events, (std::vector<std::string>{"CorrectionRequested", "MailQueued"}));
    const auto other = paired("reject2@example.jp");
    auto rejection = run(other, "reject", {{"codes", {"duplicate_application"}}});
    ASSERT_TRUE(rejection.is_ok());
    EXPECT_EQ(rejection->state, "rejected");
    EXPECT_TRUE(load_application(*store_, other)->closed());
}

TEST_F(Commands, RevokedLinksAnswer410AndReissuedOnesWork) {
    const auto application = paired("revoke@example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    const std::string first = token_mailed_to(application);
    download::DownloadService downloads(*store_, config_, clock());
    EXPECT_EQ(downloads.handle({first, "r1", "192.0.2.1", "test"})->status, 302);

    auto revoked = run(application, "revoke_url", {{"reason", "sent to the wrong address"}});
    ASSERT_TRUE(revoked.is_ok());
    EXPECT_EQ(revoked->state, "validated");
    auto refused = downloads.handle({first, "r2", "192.0.2.1", "test"});
    EXPECT_EQ(refused->status, 410);
    EXPECT_NE(refused->body.find("revoked"), std::string::npos);
    EXPECT_EQ(json::parse(
                  events_of_type(application, "UrlDownloadRefused").back().payload_json)["reason"],
              "revoked");

    ASSERT_TRUE(run(application, "reissue_url").is_ok());
    const std::string second = token_mailed_to(application);
    EXPECT_NE(second, first);
    EXPECT_EQ(downloads.handle({second, "r3", "192.0.2.1", "test"})->status, 302);
    EXPECT_EQ(downloads.handle({first, "r4", "192.0.2.1", "test"})->status, 410);
    // Reissuing while a link is live revokes it in the same append.
    ASSERT_TRUE(run(application, "reissue_url").is_ok());
    EXPECT_EQ(downloads.handle({second, "r5", "192.0.2.1", "test"})->status, 410);
}

TEST_F(Commands, WithdrawalRevokesTheLiveLink) {
    const auto application = paired("withdraw@example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    const std::string token = token_mailed_to(application);
    auto withdrawn = run(application, "withdraw", {{"reason", "申請者から取り下げの連絡"}});
    ASSERT_TRUE(withdrawn.is_ok());
    EXPECT_EQ(withdrawn->events, (std::vector<std::string>{"UrlRevoked", "ApplicationWithdrawn"}));
    download::DownloadService downloads(*store_, config_, clock());
    EXPECT_EQ(downloads.handle({token, "r1", "192.0.2.1", "test"})->status, 410);
    EXPECT_EQ(run(application, "withdraw", {{"reason", "again"}}).status().reason(),
              "illegal_transition");
}

TEST_F(Commands, ErasureShredsPiiWhileTheLedgerStillVerifies) {
    const auto application = paired("erase@example.jp");
    ASSERT_TRUE(run(application, "approve").is_ok());
    DirectoryProjection directory;
    ASSERT_TRUE(rebuild_projection(*store_, directory, store_->head()).is_ok());
    EXPECT_EQ(directory.read(application, *vault_)->sender, "erase@example.jp");

    std::vector<std::string> blob_ids;
    for (const char* type : {"FormMailReceived", "PasswordMailReceived"}) {
        const auto payload = json::parse(events_of_type(application, type).front().payload_json);
        blob_ids.push_back(payload["raw_blob"]);
        if (payload.contains("attachment_blob")) blob_ids.push_back(payload["attachment_blob"]);
    }
    for (const auto& id : blob_ids) ASSERT_TRUE(blobs_->contains(id).value()) << id;
    auto erased = run(application, "erase", {{"reason", "本人からの削除請求"}});
    ASSERT_TRUE(erased.is_ok()) << erased.status().to_string();
    EXPECT_EQ(erased->events, (std::vector<std::string>{"UrlRevoked", "ApplicationErased"}));
    DirectoryProjection after;
    ASSERT_TRUE(rebuild_projection(*store_, after, store_->head()).is_ok());
    const auto entry = after.read(application, *vault_);
    ASSERT_TRUE(entry.is_ok());
    EXPECT_TRUE(entry->erased);
    EXPECT_EQ(entry->organization, "[erased]");
    EXPECT_EQ(entry->sender, "[erased]");
    EXPECT_EQ(vault_->get(application).status().reason(), "erased");
    for (const auto& id : blob_ids)
        EXPECT_FALSE(blobs_->contains(id).value())
            << "raw mail or attachment survived erasure: " << id;
    EXPECT_EQ(everything_stored().find("erase@example.jp"), std::string::npos);
    EXPECT_EQ(run(application, "assign", {{"assignee", "x"}}).status().reason(), "erased");
    // Erasing again appends nothing and succeeds.
    const auto before = store_->head();
    EXPECT_TRUE(run(application, "erase", {{"reason", "retry"}}).is_ok());
    EXPECT_EQ(store_->head(), before);
    EXPECT_TRUE(verify_store(*database_).value().intact());
}

TEST_F(Commands, EveryFixturePairEndsWithItsLinkIssuedOrRejectedWithItsCodes) {
    // The fixtures are named for the published campaign: its period, and a day inside it.
    close();
    config_.usage_period = form::UsagePeriod{};
    set_now("2026-03-10T10:00:00+09:00");
    open();
    // The shared mailbox in arrival order (pair 3's password comes before its form).
    std::vector<std::string> applications;
    for (const char* name :
         {"other_subject.eml", "pair1_form_iso2022jp.eml", "pair1_password_iso2022jp.eml",
          "pair2_form_utf8.eml", "pair2_password_utf8.eml", "pair3_password_sjis.eml",
          "pair3_form_sjis.eml"}) {
        auto outcome = intake_->ingest(testing::read_fixture(std::string("mail/") + name), "test");
        ASSERT_TRUE(outcome.is_ok()) << name << ": " << outcome.status().to_string();
        if (outcome->paired) applications.push_back(outcome->application);
    }
    ASSERT_EQ(applications.size(), 3u);
    for (const auto& application : applications) {
        ASSERT_EQ(state_of(application), "validated");
        auto approved = run(application, "approve");
        ASSERT_TRUE(approved.is_ok()) << approved.status().to_string();
        EXPECT_EQ(approved->state, "url_issued");
        EXPECT_EQ(token_mailed_to(application).size(), 43u);
    }
    // Every invalid fixture form, mailed as an applicant would, is rejected with the code its
    // name describes; staff confirm the rejection and the applicant is told why.
    const std::map<std::string, std::string> expected = {
        {"invalid_consent_blank", "consent_not_given"},
        {"invalid_date_after_period", "date_outside_usage_period"},
        {"invalid_email", "invalid_contact_email"},
        {"invalid_missing_org", "missing_organization"},
        {"invalid_no_consent", "consent_not_given"},
        {"invalid_other_without_text", "other_usage_without_text"},
        {"invalid_unknown_usage", "unknown_usage"},
    };
    for (const auto& [form, code] : expected) {
        const auto application = paired(form + "@example.jp", "forms/" + form + ".xlsx");
        auto record = load_application(*store_, application);
        ASSERT_TRUE(record.is_ok()) << form << ": " << record.status().to_string();
        ASSERT_EQ(domain::state_name(record->state), "rejected") << form;
        EXPECT_NE(std::find(record->rejection_codes.begin(), record->rejection_codes.end(), code),
                  record->rejection_codes.end())
            << form << " lacks " << code;
        auto confirmed = run(application, "reject", {{"codes", record->rejection_codes}});
        ASSERT_TRUE(confirmed.is_ok()) << confirmed.status().to_string();
        EXPECT_EQ(confirmed->events.back(), "MailQueued");
    }
}

TEST_F(Commands, ASecondApplicationOfAnApplicantWithALinkIsADuplicate) {
    // The same organisation and contact address (valid_basic.xlsx) from two mailboxes.
    const auto first = paired("koho@sakura-hp.example.jp");
    const auto before_issue = paired("koho-2@sakura-hp.example.jp");
    EXPECT_EQ(state_of(before_issue), "validated") << "nothing was issued yet";
    ASSERT_TRUE(run(first, "approve").is_ok());
    const auto after_issue = paired("koho-3@sakura-hp.example.jp");
    auto record = load_application(*store_, after_issue);
    EXPECT_EQ(domain::state_name(record->state), "rejected");
    EXPECT_EQ(record->rejection_codes, std::vector<std::string>{"duplicate_application"});
    // Another applicant is not affected, and the key is stored only as an HMAC.
    EXPECT_EQ(state_of(paired("other@example.jp", "forms/valid_all_usages.xlsx")), "validated");
    EXPECT_EQ(everything_stored().find("koho@sakura-hp.example.jp\n"), std::string::npos);
}

// Defect: a second application of the same organisation and address while the first was
// validated but not yet issued was approved silently. Both are flagged, visibly in the queue.
TEST_F(Commands, ASecondApplicationWhileTheFirstAwaitsApprovalIsFlaggedOnBoth) {
    const auto first = paired("koho@sakura-hp.example.jp");
    EXPECT_TRUE(load_application(*store_, first)->possible_duplicate_of.empty());
    const auto second = paired("koho-2@sakura-hp.example.jp");
    EXPECT_EQ(state_of(second), "validated") << "flagged, not rejected: staff decide";
    EXPECT_EQ(load_application(*store_, second)->possible_duplicate_of,
              std::vector<std::string>{first});
    EXPECT_EQ(load_application(*store_, first)->possible_duplicate_of,
              std::vector<std::string>{second});
    QueueProjection queue(config_);
    ProjectionRunner runner(*store_, queue);
    ASSERT_TRUE(runner.catch_up().is_ok());
    for (const auto& entry : queue.entries(now_ms_)) {
        EXPECT_EQ(entry.possible_duplicate_of.size(), 1u) << entry.application;
        EXPECT_NE(queue_entry_to_json(entry).find("possible_duplicate_of"), std::string::npos);
    }
    // Another organisation is not flagged.
    const auto other = paired("other@example.jp", "forms/valid_all_usages.xlsx");
    EXPECT_TRUE(load_application(*store_, other)->possible_duplicate_of.empty());
}

// The usage period is the campaign's configuration: after it ends, approving needs a
// justification (the API also demands a supervisor), and the mails state the configured period.
TEST_F(Commands, AfterTheUsagePeriodApprovalNeedsAJustification) {
    const auto application = paired("late@example.jp");
    close();
    config_.usage_period = {"2025-05-19", "2026-03-31"};  // ended; now is 2026-11-24
    open();
    const Seq head = store_->head();
    auto refused = run(application, "approve");
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().reason(), "usage_period_ended");
    EXPECT_EQ(store_->head(), head);
    auto approved = run(application, "approve", {{"justification", "事務局長の判断で延長"}});
    ASSERT_TRUE(approved.is_ok()) << approved.status().to_string();
    const auto approval = events_of_type(application, "ApplicationApproved");
    ASSERT_EQ(approval.size(), 1u);
    EXPECT_EQ(nlohmann::json::parse(approval[0].payload_json)["after_usage_period"], true);

    close();
    config_.usage_period = {"2025-05-19", "2027-03-31"};
    open();
    const auto extended = paired("extended@example.jp", "forms/valid_all_usages.xlsx");
    ASSERT_TRUE(run(extended, "approve").is_ok()) << "inside an extended campaign";
    const auto queued = events_of_type(extended, "MailQueued");
    ASSERT_FALSE(queued.empty());
    const auto sealed = nlohmann::json::parse(
        vault_
            ->open_sealed(
                extended,
                nlohmann::json::parse(queued.back().payload_json)["pii_sealed"].get<std::string>())
            .value());
    const std::string message = sealed["message"];
    const auto body_at = message.find("\r\n\r\n");
    std::string encoded;
    for (char c : message.substr(body_at + 4))
        if (c != '\r' && c != '\n') encoded += c;
    EXPECT_NE(kakitome::base64_decode(encoded).value().find("2025年5月19日〜2027年3月31日"),
              std::string::npos);
}

TEST_F(Commands, ErasureKeepsAnAttachmentAnotherApplicationStillRefersTo) {
    // The very same encrypted file sent by two applicants: one blob, two references.
    const std::string encrypted =
        office::encrypt_document(testing::read_fixture("forms/valid_basic.xlsx"), "shared-pw",
                                 office::EncryptionMethod::agile, 1000)
            .value();
    std::vector<std::string> applications;
    for (const char* sender : {"one@example.jp", "two@example.jp"}) {
        auto form = intake_->ingest(
            testing::build_mail(
                sender, testing::encoded_word("PR 動画利用申請", "UTF-8"),
                std::string("f-") + sender, "Content-Type: text/plain; charset=us-ascii\r\n", "",
                {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}}),
            "test");
        ASSERT_TRUE(form.is_ok());
        applications.push_back(form->application);
    }
    auto attachment = [&](const std::string& application) {
        return json::parse(events_of_type(application, "FormMailReceived")
                               .front()
                               .payload_json)["attachment_blob"]
            .get<std::string>();
    };
    ASSERT_EQ(attachment(applications[0]), attachment(applications[1]));
    const std::string raw = json::parse(
        events_of_type(applications[0], "FormMailReceived").front().payload_json)["raw_blob"];
    ASSERT_TRUE(run(applications[0], "erase", {{"reason", "削除請求"}}).is_ok());
    EXPECT_FALSE(blobs_->contains(raw).value()) << "the erased application's own mail is gone";
    EXPECT_TRUE(blobs_->contains(attachment(applications[1])).value())
        << "the other application's attachment stays";
    // Once the other one is erased too, nothing refers to it any more: it goes.
    ASSERT_TRUE(run(applications[1], "erase", {{"reason", "削除請求"}}).is_ok());
    EXPECT_FALSE(blobs_->contains(attachment(applications[1])).value())
        << "a reference from an erased application keeps nothing";
}

}  // namespace
}  // namespace kakitome::workflow
