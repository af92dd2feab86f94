// ApplicationRecord alone: every state of docs/workflow.md reached by its events, the link
// rules (revoking the last live link returns to validated, an expiry after a download changes
// nothing), which command each state allows, and an event that does not decode changing nothing.
#include "engine/workflow/application_record.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/domain/application_events.h"
#include "engine/domain/application_state.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"

namespace kakitome::workflow {
namespace {

using domain::ApplicationState;

class Record : public ::testing::Test {
  protected:
    template <typename Payload>
    void fold(const Payload& payload) {
        const NewEvent pending = domain::new_event(payload);
        RecordedEvent event;
        event.seq = Seq{++seq_};
        event.stream = domain::application_stream("a1");
        event.version = StreamVersion{record_.version.value + 1};
        event.type = pending.type;
        event.schema = pending.schema;
        event.payload_json = pending.payload_json;
        event.at = "2026-11-26T09:00:00.000Z";
        const Status applied = record_.apply(event);
        ASSERT_TRUE(applied.is_ok()) << applied.to_string();
    }
    std::string state() const { return std::string(domain::state_name(record_.state)); }
    void received() { fold(domain::FormMailReceived{.pii_sealed = "sealed"}); }
    void validated() {
        received();
        fold(domain::PasswordMailReceived{.message_id = "p"});
        fold(domain::MailsPaired{.order = "form_first"});
        fold(domain::FormDecrypted{.method = "agile"});
        fold(domain::FormParsed{.usage_channels = {"intranet"}});
        fold(domain::ApplicationValidated{});
    }
    void issued(const std::string& token) {
        fold(domain::UrlIssued{token, "2026-11-26T09:00:00.000Z", "2026-12-11T00:00:00.000Z", 1});
    }

    ApplicationRecord record_;
    std::uint64_t seq_ = 0;
};

TEST_F(Record, AnEmptyStreamIsNone) {
    EXPECT_EQ(state(), "none");
}

TEST_F(Record, TheIntakePathGoesThroughEachState) {
    received();
    EXPECT_EQ(state(), "awaiting_password");
    EXPECT_EQ(record_.application, "a1");
    fold(domain::PasswordMailReceived{.message_id = "p"});
    EXPECT_EQ(state(), "awaiting_password");
    EXPECT_TRUE(record_.password_received);
    fold(domain::MailsPaired{.order = "form_first"});
    EXPECT_EQ(state(), "password_received");
    fold(domain::FormDecrypted{.method = "agile"});
    EXPECT_EQ(state(), "decrypted");
    fold(domain::FormParsed{.usage_channels = {"intranet"}, .unrecognized_usages = {"看板"}});
    EXPECT_EQ(record_.usage_channels, std::vector<std::string>{"intranet"});
    EXPECT_EQ(record_.unrecognized_usages, std::vector<std::string>{"看板"});
    fold(domain::ApplicationValidated{});
    EXPECT_EQ(state(), "validated");
}

TEST_F(Record, AWrongPasswordIsAMismatch) {
    received();
    fold(domain::PasswordRejected{"p", "wrong_password", 1});
    EXPECT_EQ(state(), "password_mismatch");
}

TEST_F(Record, ARejectionKeepsItsCodesAndAValidationClearsThem) {
    received();
    fold(domain::ApplicationRejected{.codes = {"missing_consent"}});
    EXPECT_EQ(state(), "rejected");
    EXPECT_FALSE(record_.rejection_notified);
    EXPECT_FALSE(record_.closed());  // the applicant has not been told yet
    fold(domain::ApplicationRejected{.codes = {"missing_consent"}, .notify = true});
    EXPECT_TRUE(record_.closed());
    fold(domain::ApplicationValidated{});
    EXPECT_TRUE(record_.rejection_codes.empty());
}

TEST_F(Record, AnIssuedLinkIsDownloadedAndItsExpiryThenChangesNothing) {
    validated();
    fold(domain::ApplicationApproved{});
    issued("t1");
    EXPECT_EQ(state(), "url_issued");
    fold(domain::UrlDownloaded{.token_sha256 = "t1"});
    EXPECT_EQ(state(), "downloaded");
    EXPECT_EQ(record_.urls[0].downloads, 1);
    fold(domain::UrlExpired{"2026-12-11T00:00:00.000Z", "t1"});
    EXPECT_EQ(state(), "downloaded");
    EXPECT_EQ(record_.live_url(), nullptr);
}

TEST_F(Record, ALinkThatExpiresUndownloadedExpiresTheApplication) {
    validated();
    issued("t1");
    fold(domain::UrlExpired{"2026-12-11T00:00:00.000Z", "t1"});
    EXPECT_EQ(state(), "expired");
}

TEST_F(Record, RevokingTheLastLiveLinkReturnsToValidatedButNotWhileAnotherLives) {
    validated();
    issued("t1");
    issued("t2");
    fold(domain::UrlRevoked{"t1", "reissued"});
    EXPECT_EQ(state(), "url_issued");  // t2 still lives
    EXPECT_EQ(record_.live_url()->token_sha256, "t2");
    fold(domain::UrlRevoked{"t2", "staff"});
    EXPECT_EQ(state(), "validated");
}

TEST_F(Record, WithdrawalAndErasure) {
    validated();
    fold(domain::ApplicationWithdrawn{"asked"});
    EXPECT_EQ(state(), "withdrawn");
    EXPECT_TRUE(record_.closed());
    fold(domain::ApplicationErased{"asked", true});
    EXPECT_TRUE(record_.erased);
    EXPECT_EQ(state(), "withdrawn");  // erasure is a flag, not a state
}

TEST_F(Record, AnEventThatDoesNotDecodeIsAnErrorAndChangesNothing) {
    validated();
    const ApplicationRecord before = record_;
    RecordedEvent bad;
    bad.seq = Seq{99};
    bad.stream = domain::application_stream("a1");
    bad.version = StreamVersion{record_.version.value + 1};
    bad.type = "UrlIssued";
    bad.payload_json = R"({"issued_at":"2026-11-26T09:00:00.000Z"})";
    const Status status = record_.apply(bad);
    EXPECT_EQ(status.reason(), "bad_payload");
    EXPECT_EQ(record_.to_json(), before.to_json());
}

TEST_F(Record, ARecordSurvivesItsJsonForm) {
    validated();
    issued("t1");
    auto restored = ApplicationRecord::from_json(record_.to_json());
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(restored->to_json(), record_.to_json());
    EXPECT_EQ(restored->state, ApplicationState::url_issued);
}

// The command table of docs/workflow.md, written out by hand: which commands each state allows.
TEST(CommandTable, EachStateAllowsExactlyTheCommandsOfTheWorkflowTable) {
    const std::map<std::string, std::vector<std::string>> allowed = {
        {"none",
         {"assign", "withdraw", "reissue_url", "revoke_url", "erase", "hold", "release_hold"}},
        {"awaiting_password",
         {"assign", "reject", "withdraw", "reissue_url", "revoke_url", "erase", "hold",
          "release_hold"}},
        {"password_received",
         {"assign", "reject", "withdraw", "reissue_url", "revoke_url", "erase", "hold",
          "release_hold"}},
        {"password_mismatch",
         {"assign", "reject", "request_correction", "withdraw", "reissue_url", "revoke_url",
          "erase", "hold", "release_hold"}},
        {"decrypted",
         {"assign", "reject", "withdraw", "reissue_url", "revoke_url", "erase", "hold",
          "release_hold"}},
        {"validated",
         {"assign", "approve", "reject", "request_correction", "withdraw", "reissue_url",
          "revoke_url", "erase", "hold", "release_hold"}},
        {"rejected",
         {"assign", "approve", "reject", "request_correction", "withdraw", "reissue_url",
          "revoke_url", "erase", "hold", "release_hold"}},
        {"url_issued",
         {"assign", "withdraw", "reissue_url", "revoke_url", "erase", "hold", "release_hold"}},
        {"downloaded",
         {"assign", "withdraw", "reissue_url", "revoke_url", "erase", "hold", "release_hold"}},
        {"withdrawn", {"assign", "revoke_url", "erase", "hold", "release_hold"}},
        {"expired", {"assign", "reissue_url", "revoke_url", "erase", "hold", "release_hold"}},
    };
    for (const auto& [state, value] : domain::kStateNames) {
        const auto& expected = allowed.at(std::string(value));
        for (const auto& rule : domain::command_rules()) {
            const bool listed =
                std::find(expected.begin(), expected.end(), rule.command) != expected.end();
            EXPECT_EQ(domain::command_allowed_in(rule.command, state), listed)
                << rule.command << " in " << value;
        }
    }
    EXPECT_FALSE(domain::command_allowed_in("no_such_command", ApplicationState::validated));
}

}  // namespace
}  // namespace kakitome::workflow
