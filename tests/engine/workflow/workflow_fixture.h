// The product's own composition (Services, as `kakitome serve` builds it) over a fresh data
// directory, with a clock the test moves, plus helpers that bring applications to a given state
// through real mails (forms from the fixtures, encrypted here with kakitome's own encryptor, as
// an applicant's Excel would).
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <memory>

#include <nlohmann/json.hpp>

#include "api/services.h"
#include "engine/domain/streams.h"
#include "engine/intake/intake_service.h"
#include "engine/office/office_document.h"
#include "engine/workflow/workflow_commands.h"
#include "events/base/base64.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "events/test_store.h"
#include "fixtures.h"
#include "mail_builder.h"
#include "projections/projection_runner.h"

namespace kakitome::testing {

class WorkflowTest : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = fresh_directory("workflow");
        now_ms_ = parse_rfc3339_ms("2026-11-24T10:00:00+09:00").value();  // a Tuesday
        config_.video = {"https://s3.ap-northeast-1.amazonaws.com", "kenpo-video", "pr/video.mp4",
                         "ap-northeast-1", false};
        config_.storage_credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
        // The tests run in late 2026: a campaign extended by a year (the default period ended on
        // 2026-03-31; UsagePeriodTest checks what happens then).
        config_.usage_period.last = "2027-03-31";
        // The staff the tests assign applications to, created "long ago": event times never go
        // backwards, and tests move the clock to earlier days than the default. Their tokens
        // live ten years, past every day the tests move the clock to.
        const std::int64_t default_now = now_ms_;
        now_ms_ = parse_rfc3339_ms("2020-01-01T00:00:00+09:00").value();
        open();
        for (const char* name : {"sato", "suzuki", "staff-1"})
            ASSERT_TRUE(services_->principals()
                            .create(name, auth::Role::operator_role, false, "test", "", 3660)
                            .is_ok());
        now_ms_ = default_now;
    }
    void TearDown() override {
        close();
        std::filesystem::remove_all(directory_);
    }
    // Options as `serve` builds them, but buffered (no fsync per test append) and on the
    // test's clock.
    virtual ServiceOptions service_options() {
        ServiceOptions options;
        options.data_directory = directory_;
        options.settings.workflow = config_;
        options.clock_ms = clock();
        options.event_clock_ms = clock();
        options.durability = Durability::buffered;
        return options;
    }
    void open() {
        auto opened = Services::open(service_options());
        ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
        services_ = std::move(opened).value();
        database_ = &services_->database();
        store_ = &services_->store();
        master_ = services_->master_key();
        blobs_ = &services_->blobs();
        vault_ = &services_->vault();
        intake_ = &services_->intake();
        commands_ = &services_->commands();
    }
    void close() { services_.reset(); }
    std::function<std::int64_t()> clock() {
        return [this] { return now_ms_.load(); };
    }
    void set_now(const char* rfc3339) { now_ms_ = parse_rfc3339_ms(rfc3339).value(); }

    std::string form_mail(const std::string& from, const std::string& id,
                          const std::string& password, const std::string& form) {
        const std::string encrypted =
            office::encrypt_document(read_fixture(form), password, office::EncryptionMethod::agile,
                                     1000)
                .value();
        return build_mail(from, encoded_word("PR 動画利用申請", "ISO-2022-JP"), id,
                          "Content-Type: text/plain; charset=us-ascii\r\n", "",
                          {{.filename_header = "filename=\"form.xlsx\"", .bytes = encrypted}});
    }
    std::string password_mail(const std::string& from, const std::string& id,
                              const std::string& password) {
        return build_mail(from, encoded_word("PR 動画利用申請", "UTF-8"), id,
                          "Content-Type: text/plain; charset=utf-8\r\n", password + "\r\n");
    }
    // A form mail only: the application waits for its password.
    std::string awaiting_password(const std::string& from,
                                  const std::string& form = "forms/valid_basic.xlsx") {
        const std::string id = "wf-form-" + std::to_string(++mails_) + "@kakitome.test";
        auto outcome = intake_->ingest(form_mail(from, id, "pw-" + from, form), "test");
        EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        EXPECT_EQ(outcome->classification, "form") << outcome->reason;
        return outcome->application;
    }
    // Form and password: validated (or rejected by validation for an invalid form).
    std::string paired(const std::string& from,
                       const std::string& form = "forms/valid_basic.xlsx") {
        const std::string application = awaiting_password(from, form);
        auto outcome = intake_->ingest(
            password_mail(from, "wf-pw-" + std::to_string(++mails_) + "@kakitome.test",
                          "pw-" + from),
            "test");
        EXPECT_TRUE(outcome.is_ok()) << outcome.status().to_string();
        EXPECT_EQ(outcome->application, application);
        return application;
    }
    Result<workflow::CommandOutcome> run(
        const std::string& application, const std::string& command,
        const nlohmann::json& arguments = nlohmann::json::object()) {
        return commands_->execute(
            {application, command, "staff-1", arguments.dump(), std::nullopt, "request-1"});
    }
    std::string state_of(const std::string& application) {
        return std::string(
            domain::state_name(workflow::load_application(*store_, application)->state));
    }
    std::vector<std::string> types_of(const std::string& application) {
        std::vector<std::string> types;
        auto events = read_whole_stream(*store_, domain::application_stream(application));
        for (const auto& event : events.value()) types.push_back(event.type);
        return types;
    }
    std::vector<RecordedEvent> events_of_type(const std::string& application,
                                              const std::string& type) {
        std::vector<RecordedEvent> out;
        auto events = read_whole_stream(*store_, domain::application_stream(application));
        for (auto& event : events.value()) {
            if (event.type == type) out.push_back(std::move(event));
        }
        return out;
    }
    // Every key and value in every column family, as stored.
    std::string everything_stored() {
        std::string all;
        for (const char* family : {"events", "streams", "meta", "blobs", kDataKeysFamily}) {
            std::unique_ptr<rocksdb::Iterator> it(
                database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(family)));
            for (it->SeekToFirst(); it->Valid(); it->Next())
                all += it->key().ToString() + it->value().ToString();
        }
        return all;
    }
    // The token of the newest URL notice queued for an application, read back through the vault.
    std::string token_mailed_to(const std::string& application) {
        const auto queued = events_of_type(application, "MailQueued");
        for (auto event = queued.rbegin(); event != queued.rend(); ++event) {
            const auto payload = nlohmann::json::parse(event->payload_json);
            if (payload["template"] != "url_notice") continue;
            const auto opened = nlohmann::json::parse(
                vault_->open_sealed(application, payload["pii_sealed"].get<std::string>()).value());
            const std::string message = opened["message"];
            // The body is base64; decode it to find the link.
            const auto body_at = message.find("\r\n\r\n");
            std::string encoded;
            for (char c : message.substr(body_at + 4)) {
                if (c != '\r' && c != '\n') encoded += c;
            }
            const std::string body = kakitome::base64_decode(encoded).value();
            const auto at = body.find("/d/");
            return body.substr(at + 3, 43);
        }
        return "";
    }

    std::filesystem::path directory_;
    std::atomic<std::int64_t> now_ms_{0};
    workflow::WorkflowConfig config_;
    std::unique_ptr<Services> services_;
    Database* database_ = nullptr;
    EventStore* store_ = nullptr;
    AeadKey master_{};
    BlobStore* blobs_ = nullptr;
    DataKeyVault* vault_ = nullptr;
    intake::IntakeService* intake_ = nullptr;
    workflow::WorkflowCommands* commands_ = nullptr;
    int mails_ = 0;
};

}  // namespace kakitome::testing
