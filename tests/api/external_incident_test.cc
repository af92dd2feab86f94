// The inquiry kakitome was built for, run the way a responder runs it: the shipped `kakitome`
// binary imports the old site's 469 registrations and two weeks of CloudFront logs
// (tests/data/external, made by scripts/generate_external_incident.py with a known truth),
// and its review finds exactly the three registrations that the path-only cache key served
// to other registrants — with their viewers, times and request ids — and none of the
// near-misses; with the correct cache key the same logs show no leak. The evidence bundle
// verifies with `kakitome verify --export` alone, and fails once a line is changed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "events/test_store.h"
#include "run_command.h"

namespace kakitome {
namespace {

using nlohmann::json;

const std::filesystem::path kData = KAKITOME_EXTERNAL_DATA;

class ExternalIncident : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = testing::fresh_directory("external");
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

    std::string kakitome(const std::string& words, int* exit_code = nullptr) {
        return testing::run_command(
            std::string(KAKITOME_BINARY) + " " + words + " 2>>" + (directory_ / "stderr").string(),
            exit_code);
    }
    std::string incident(const std::string& arguments) {
        int code = -1;
        const std::string out =
            kakitome("incident --data " + (directory_ / "data").string() + " " + arguments, &code);
        EXPECT_EQ(code, 0) << "incident " << arguments;
        return out;
    }
    std::string report() {
        return json::parse(
            incident("report --description 旧サイト漏えい --from "
                     "2025-05-19T00:00:00Z --to 2025-06-02T00:00:00Z"))["incident"];
    }
    std::string logs() {
        std::string files;
        for (const auto& name : expected()["log_files"]) files += " " + (kData / name).string();
        return files;
    }
    const json& expected() {
        static const json parsed = json::parse(std::ifstream(kData / "expected.json"));
        return parsed;
    }
    // The review's disclosures to others: registration, at, request id, who the viewer is.
    static std::set<std::tuple<std::string, std::string, std::string, std::string>> leaks(
        const json& review) {
        std::set<std::tuple<std::string, std::string, std::string, std::string>> out;
        for (const auto& row : review["rows"])
            for (const auto& viewer : row["viewers"])
                out.insert(std::make_tuple(
                    row["application"].get<std::string>(), viewer["at"].get<std::string>(),
                    viewer["request_id"].get<std::string>(), viewer["remote"].get<std::string>()));
        return out;
    }

    std::filesystem::path directory_;
};

TEST_F(ExternalIncident, The469ReviewFindsExactlyTheThreeAndProvesIt) {
    const std::string id = report();
    const json registrations = json::parse(
        incident("import-registrations " + id + " --csv " + (kData / "registrations.csv").string() +
                 " --mapping " + (kData / "mapping.json").string()));
    EXPECT_EQ(registrations["recorded"], 469);
    EXPECT_EQ(registrations["bad_lines"], 0);

    const std::string imported =
        incident("import-access-log " + id + " --format cloudfront" + logs());
    std::uint64_t files = 0, lines = 0;
    std::istringstream outcomes(imported);
    for (std::string line; std::getline(outcomes, line);) {
        const json outcome = json::parse(line);
        EXPECT_EQ(outcome["bad_lines"], 0) << line;
        ++files;
        lines += outcome["lines"].get<std::uint64_t>();
    }
    EXPECT_EQ(files, expected()["log_files"].size());
    EXPECT_EQ(lines, expected()["log_lines"].get<std::uint64_t>());

    const json review = json::parse(incident("review --incident " + id + " --json"));
    EXPECT_EQ(review["in_scope"], 469);
    EXPECT_EQ(review["affected"], 3);
    EXPECT_EQ(review["external"]["requests"], expected()["requests_for_pages"]);
    std::set<std::tuple<std::string, std::string, std::string, std::string>> truth;
    for (const auto& leak : expected()["leaks"])
        truth.insert(
            std::make_tuple(leak["registration"].get<std::string>(), leak["at"].get<std::string>(),
                            leak["request_id"].get<std::string>(),
                            "registrant of " + leak["viewer_registration"].get<std::string>()));
    EXPECT_EQ(leaks(review), truth) << "exactly the three, each with its viewer: none of the "
                                       "owner reloads, 403s, 304s or hits on pages without data";

    // Notifying one of them shows in the review.
    const std::string first = expected()["leaks"][0]["registration"];
    EXPECT_EQ(json::parse(incident("notify " + id + " " + first))["action"], "notify");
    const json after = json::parse(incident("review --incident " + id + " --json"));
    for (const auto& row : after["rows"])
        EXPECT_EQ(row["notified"], row["application"] == first) << row["application"];

    // The same file again adds nothing.
    const json again =
        json::parse(incident("import-access-log " + id + " --format cloudfront " +
                             (kData / expected()["log_files"][0].get<std::string>()).string()));
    EXPECT_TRUE(again["duplicate"]);
    EXPECT_EQ(json::parse(incident("review --incident " + id + " --json"))["external"]["requests"],
              expected()["requests_for_pages"]);

    // The bundle proves it to someone who has only the bundle and the key.
    ASSERT_EQ(incident("evidence " + id + " --out " + (directory_ / "bundle.jsonl").string()), "");
    const std::string key = directory_ / "ledger.pub";
    kakitome("ledger pubkey --data " + (directory_ / "data").string() + " > " + key);
    int code = -1;
    const std::string verdict = kakitome(
        "verify --export " + (directory_ / "bundle.jsonl").string() + " --pubkey " + key, &code);
    EXPECT_EQ(code, 0) << verdict;
    EXPECT_NE(verdict.find("intact: evidence of incident " + id), std::string::npos) << verdict;
    // One served-page line rewritten: no longer in the signed log.
    std::ifstream in(directory_ / "bundle.jsonl");
    std::string bundle((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = bundle.find(expected()["leaks"][0]["request_id"].get<std::string>());
    ASSERT_NE(at, std::string::npos);
    bundle[at] = bundle[at] == 'A' ? 'B' : 'A';
    std::ofstream(directory_ / "tampered.jsonl") << bundle;
    const std::string tampered = kakitome(
        "verify --export " + (directory_ / "tampered.jsonl").string() + " --pubkey " + key, &code);
    EXPECT_EQ(code, 1) << tampered;
    EXPECT_NE(tampered.find("tampered"), std::string::npos) << tampered;
}

TEST_F(ExternalIncident, WithTheCorrectCacheKeyTheSameLogsShowNoLeak) {
    const std::string id = report();
    incident("import-registrations " + id + " --csv " + (kData / "registrations.csv").string() +
             " --mapping " + (kData / "mapping-correct-key.json").string());
    incident("import-access-log " + id + " --format cloudfront" + logs());
    const json review = json::parse(incident("review --incident " + id + " --json"));
    EXPECT_EQ(review["in_scope"], 469);
    EXPECT_EQ(review["affected"], 0);
    EXPECT_TRUE(leaks(review).empty());
    EXPECT_EQ(review["external"]["hits_without_fill"],
              expected()["correct_key"]["hits_without_fill"]);
}

TEST_F(ExternalIncident, BadLinesAreListedWithTheirNumbers) {
    const std::string id = report();
    incident("mapping " + id + " --mapping " + (kData / "mapping.json").string());
    const json damaged = json::parse(incident("import-access-log " + id + " --format cloudfront " +
                                              (kData / "cloudfront-damaged.log.gz").string()));
    EXPECT_EQ(damaged["lines"], expected()["damaged"]["lines"]);
    EXPECT_EQ(damaged["bad_lines"], 3);
    std::vector<int> numbers;
    for (const auto& bad : damaged["first_bad_lines"]) numbers.push_back(bad["line"]);
    EXPECT_EQ(json(numbers), expected()["damaged"]["bad_lines"]);
    std::ifstream errors(directory_ / "stderr");
    const std::string said((std::istreambuf_iterator<char>(errors)),
                           std::istreambuf_iterator<char>());
    EXPECT_NE(said.find("cloudfront-damaged.log.gz:16: not read: bad date or time"),
              std::string::npos)
        << said;
}

TEST_F(ExternalIncident, TheNginxCaseFindsItsOneLeak) {
    const std::filesystem::path nginx = kData / "nginx";
    const json truth = json::parse(std::ifstream(nginx / "expected.json"));
    for (const std::string mapping : {"mapping.json", "mapping-correct-key.json"}) {
        const std::string id = report();
        incident("import-registrations " + id + " --csv " + (nginx / "registrations.csv").string() +
                 " --mapping " + (nginx / mapping).string());
        const json log =
            json::parse(incident("import-access-log " + id + " --format nginx-combined " +
                                 (nginx / "access.log").string()));
        EXPECT_EQ(log["lines"], truth["log_lines"]);
        EXPECT_EQ(log["bad_lines"], 0);
        const json review = json::parse(incident("review --incident " + id + " --json"));
        EXPECT_EQ(review["in_scope"], truth["registrations"]);
        if (mapping == "mapping.json") {
            ASSERT_EQ(review["affected"], 1);
            const auto leak = *leaks(review).begin();
            EXPECT_EQ(std::get<0>(leak), truth["leaks"][0]["registration"]);
            EXPECT_EQ(std::get<1>(leak), truth["leaks"][0]["at"]);
            EXPECT_EQ(
                std::get<3>(leak),
                "registrant of " + truth["leaks"][0]["viewer_registration"].get<std::string>());
        } else {
            EXPECT_EQ(review["affected"], 0);
        }
    }
}

}  // namespace
}  // namespace kakitome
