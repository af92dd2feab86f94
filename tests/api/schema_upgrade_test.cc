// Schema evolution through the binary (issue 13 §2): tests/data/schema1-store was written by
// the kakitome of 2026-11-26, whose FormParsed events (schema 1) name the usage channels by the
// labels the applicant chose. Today's kakitome writes schema 2 (codes) into the same store and
// must read both alike: `verify` checks the stored bytes and the signed checkpoint, the
// projections refold into the new row format and then rebuild byte for byte, and the REST API
// shows the same codes for an old application as for a new one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/base/base64.h"
#include "events/test_store.h"
#include "local_ports.h"
#include "run_command.h"
#include "server_harness.h"

namespace kakitome {
namespace {

using nlohmann::json;

// The three applications of the fixture store and the labels their schema-1 FormParsed holds.
const std::vector<std::pair<std::string, std::vector<std::string>>> kOldApplications = {
    {"4534617e794ea227a790", {"official_website", "facility_monitor"}},  // 公式HP, 施設内モニター
    {"75bee9744e59bc938982", {"official_sns", "other"}},                 // 公式SNS, その他
    {"6de6abb718ef0be7f611", {"official_website", "facility_monitor"}},
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A mail as a Japanese client sends it (the subject 「PR 動画利用申請」 in ISO-2022-JP).
const char* const kSubject = "=?iso-2022-jp?b?UFIgGyRCRjAyaE14TVE/PUBBGyhC?=";

std::string form_mail(const std::string& from, const std::string& message_id,
                      const std::string& attachment) {
    std::string encoded = base64_encode(attachment), wrapped;
    for (std::size_t at = 0; at < encoded.size(); at += 76)
        wrapped += encoded.substr(at, 76) + "\r\n";
    return "From: " + from + "\r\nTo: info@mainahokensyou.com\r\nSubject: " + kSubject +
           "\r\nMessage-ID: <" + message_id +
           ">\r\nDate: Tue, 10 Jun 2025 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: "
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
           "filename=\"form.xlsx\"\r\n\r\n" +
           wrapped + "--b--\r\n";
}

std::string password_mail(const std::string& from, const std::string& message_id,
                          const std::string& password) {
    return "From: " + from + "\r\nTo: info@mainahokensyou.com\r\nSubject: " + kSubject +
           "\r\nMessage-ID: <" + message_id +
           ">\r\nDate: Tue, 10 Jun 2025 10:05:00 +0900\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n\r\n" +
           password + "\r\n";
}

class SchemaUpgrade : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = testing::fresh_directory("schema");
        data_ = directory_ / "data";
        std::filesystem::create_directories(directory_);
        std::filesystem::copy(std::string(KAKITOME_TEST_DATA) + "/schema1-store", data_);
        // A data directory must be private (git does not keep modes).
        std::filesystem::permissions(data_, std::filesystem::perms::owner_all);
        for (const auto& file : std::filesystem::directory_iterator(data_))
            std::filesystem::permissions(file.path(), std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_write);
        config_ = testing::test_config(data_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

    std::string kakitome(const std::string& arguments, int* exit_code) {
        return testing::run_command(std::string(KAKITOME_BINARY) + " " + arguments + " 2>&1",
                                    exit_code);
    }
    std::vector<json> events() {
        int exit_code = 0;
        std::istringstream lines(kakitome("events --data " + data_.string(), &exit_code));
        EXPECT_EQ(exit_code, 0);
        std::vector<json> out;
        for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
        return out;
    }
    std::vector<json> form_parsed(int schema) {
        std::vector<json> out;
        for (const auto& event : events())
            if (event["type"] == "FormParsed" && event["schema"] == schema) out.push_back(event);
        return out;
    }
    json replay(const std::string& projection, int* exit_code) {
        const std::string output =
            testing::run_command(std::string(KAKITOME_BINARY) + " replay --data " + data_.string() +
                                     " --projection " + projection + " 2>/dev/null",
                                 exit_code);
        return json::parse(output, nullptr, false);
    }
    // A new applicant's form and password, ingested by today's kakitome.
    std::string ingest_new_application() {
        const auto work = directory_ / "mail";
        std::filesystem::create_directories(work);
        int exit_code = 0;
        kakitome("encrypt --password Shinki-2026 " + std::string(KAKITOME_FIXTURES) +
                     "/forms/valid_all_usages.xlsx " + (work / "form.xlsx").string(),
                 &exit_code);
        EXPECT_EQ(exit_code, 0);
        std::ofstream(work / "1_form.eml", std::ios::binary) << form_mail(
            "shinki@clinic.example.jp", "new-form@example.jp", read_file(work / "form.xlsx"));
        std::ofstream(work / "2_password.eml", std::ios::binary)
            << password_mail("shinki@clinic.example.jp", "new-password@example.jp", "Shinki-2026");
        std::istringstream lines(
            kakitome("ingest --data " + data_.string() + " " + work.string(), &exit_code));
        EXPECT_EQ(exit_code, 0);
        std::string application;
        for (std::string line; std::getline(lines, line);) {
            const auto outcome = json::parse(line, nullptr, false);
            if (outcome.is_object() && outcome["classification"] == "password") {
                EXPECT_EQ(outcome["state"], "validated") << line;
                application = outcome["application"];
            }
        }
        return application;
    }

    std::filesystem::path directory_, data_, config_;
};

TEST_F(SchemaUpgrade, TheFixtureHoldsSchemaOneEventsWithLabels) {
    const auto old = form_parsed(1);
    ASSERT_EQ(old.size(), 3u);
    for (const auto& event : old) {
        EXPECT_TRUE(event["payload"].contains("usages")) << event.dump();
        EXPECT_FALSE(event["payload"].contains("usage_channels")) << event.dump();
    }
    EXPECT_TRUE(form_parsed(2).empty());
}

TEST_F(SchemaUpgrade, VerifyChecksOldAndNewEventsAndTheOldSignedCheckpoint) {
    const std::string application = ingest_new_application();
    ASSERT_FALSE(application.empty());
    const auto fresh = form_parsed(2);
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(fresh[0]["payload"]["usage_channels"],
              json({"official_website", "official_sns", "facility_monitor", "intranet"}));
    EXPECT_EQ(form_parsed(1).size(), 3u);  // stored bytes never change
    int exit_code = 0;
    const std::string verdict = kakitome("verify --data " + data_.string() + " --pubkey " +
                                             std::string(KAKITOME_TEST_DATA) + "/schema1-store.pub",
                                         &exit_code);
    EXPECT_EQ(exit_code, 0) << verdict;
    EXPECT_NE(verdict.find("intact:"), std::string::npos) << verdict;
    EXPECT_NE(verdict.find("signatures verified"), std::string::npos) << verdict;
}

TEST_F(SchemaUpgrade, ProjectionsOfTheOldFormatAreRefoldedThenRebuildByteForByte) {
    int exit_code = 0;
    const json stale = replay("queue", &exit_code);
    EXPECT_EQ(exit_code, 1);
    EXPECT_EQ(stale["stale_format"], true) << stale.dump();
    EXPECT_EQ(stale["stored_format"], 1);
    ASSERT_FALSE(ingest_new_application().empty());
    const std::string processed =
        kakitome("process --data " + data_.string() + " --config " + config_.string() + " --once",
                 &exit_code);
    ASSERT_EQ(exit_code, 0) << processed;
    for (const std::string projection :
         {"queue", "directory", "downloads", "disclosures", "inbox", "incidents"}) {
        const json report = replay(projection, &exit_code);
        EXPECT_EQ(exit_code, 0) << projection << ": " << report.dump();
        EXPECT_EQ(report["identical"], true) << projection << ": " << report.dump();
    }
}

TEST_F(SchemaUpgrade, TheApiShowsTheSameCodesForOldAndNewForms) {
    const std::string fresh = ingest_new_application();
    ASSERT_FALSE(fresh.empty());
    int exit_code = 0;
    const json created = json::parse(
        kakitome("token create --data " + data_.string() + " --role operator --name sato",
                 &exit_code),
        nullptr, false);
    ASSERT_EQ(exit_code, 0) << created.dump();
    const std::string token = created.value("token", "");
    const int port = testing::free_tcp_port();
    auto server = testing::start_server(data_, port, directory_ / "serve.log");
    ASSERT_TRUE(server) << read_file(directory_ / "serve.log");
    auto application = [&](const std::string& id) {
        const auto reply = testing::http_request(
            "GET", "http://127.0.0.1:" + std::to_string(port) + "/v1/applications/" + id,
            {"Authorization: Bearer " + token});
        EXPECT_EQ(reply.status, 200) << reply.body;
        return json::parse(reply.body, nullptr, false);
    };
    for (const auto& [id, codes] : kOldApplications) {
        const json body = application(id);
        EXPECT_EQ(body["usage_channels"], json(codes)) << body.dump();
        EXPECT_EQ(body["unrecognized_usages"], json::array()) << body.dump();
    }
    EXPECT_EQ(application("4534617e794ea227a790")["state"], "url_issued");
    const json body = application(fresh);
    EXPECT_EQ(body["usage_channels"],
              json({"official_website", "official_sns", "facility_monitor", "intranet"}));
    EXPECT_EQ(body["state"], "validated");
    EXPECT_EQ(server->signal(SIGTERM), 0);
}

}  // namespace
}  // namespace kakitome
