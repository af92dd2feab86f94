// Evidence from another system (docs/incidents.md, "An inquiry into another system"): the log
// and CSV readers, the import's line accounting and duplicate rule, the cache model of the
// review (a hit belongs to the last fill, not to the requester) and the evidence bundle's
// verification, each with the case that must fail.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "engine/domain/streams.h"
#include "engine/evidence/access_log.h"
#include "engine/evidence/csv_table.h"
#include "engine/evidence/evidence_import.h"
#include "engine/evidence/evidence_mapping.h"
#include "engine/evidence/line_reader.h"
#include "engine/incident/incident_commands.h"
#include "engine/incident/incident_record.h"
#include "events/base/sha256.h"
#include "events/base/timestamp.h"
#include "events/test_store.h"
#include "projections/external_evidence.h"
#include "replay/evidence_bundle.h"

namespace kakitome {
namespace {

using evidence::AccessLine;
using evidence::AccessLogParser;
using evidence::LogFormat;
using nlohmann::json;
using Outcome = AccessLogParser::Outcome;

constexpr const char* kCloudFrontHeader =
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
    "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) "
    "x-edge-result-type x-edge-request-id\n";

// One CloudFront line for the registration page.
std::string page_line(const std::string& time, const std::string& address,
                      const std::string& registration, const std::string& result, int status = 200,
                      const std::string& path = "/register/complete",
                      const std::string& edge = "NRT57") {
    return "2025-05-20\t" + time + "\t" + edge + "\t2048\t" + address + "\tGET\td.example\t" +
           path + "\t" + std::to_string(status) + "\t-\tMozilla/5.0%20(" + address + ")\t" +
           (registration.empty() ? "-" : "rid=" + registration) + "\t-\t" + result + "\treq-" +
           time + "-" + address + "\n";
}

void write_file(const std::filesystem::path& path, const std::string& bytes, bool gzip = false) {
    if (gzip) {
        gzFile file = gzopen(path.c_str(), "wb");
        gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(file);
        return;
    }
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string mapping_text(const std::string& cache_key) {
    return json{{"registrations",
                 {{"encoding", "auto"},
                  {"columns",
                   {{"registration", "受付番号"},
                    {"registered_at", "登録日時"},
                    {"organization", "団体名"},
                    {"email", "メールアドレス"}}}}},
                {"pages", {{"path", "^/register/complete$"}, {"registration", {{"query", "rid"}}}}},
                {"cache", {{"key", cache_key}, {"ttl_seconds", 60}}}}
        .dump();
}

// --- readers ---------------------------------------------------------------------------------

TEST(AccessLog, CloudFrontColumnsComeFromTheFieldsHeader) {
    AccessLogParser parser(LogFormat::cloudfront, {});
    AccessLine line;
    std::string reason;
    EXPECT_EQ(parser.parse("2025-05-20\t00:00:01\tx\t1", line, reason), Outcome::bad);
    EXPECT_EQ(reason, "no #Fields: header before the first request");
    // Columns in another order than the default: the header decides.
    EXPECT_EQ(parser.parse("#Fields: time date cs-uri-query c-ip sc-status cs-uri-stem "
                           "x-edge-result-type cs(User-Agent)",
                           line, reason),
              Outcome::skipped);
    ASSERT_EQ(parser.parse("10:11:12\t2025-05-20\trid=R1\t192.0.2.1\t200\t/register/complete\tHit"
                           "\tMozilla/5.0%20(X11)",
                           line, reason),
              Outcome::parsed)
        << reason;
    parser.complete(line);
    EXPECT_EQ(line.at_ms, parse_rfc3339_ms("2025-05-20T10:11:12Z").value());
    EXPECT_EQ(line.query, "rid=R1");
    EXPECT_EQ(line.address, "192.0.2.1");
    EXPECT_EQ(line.path, "/register/complete");
    EXPECT_EQ(line.cache, "Hit");
    EXPECT_EQ(line.decoded_user_agent(), "Mozilla/5.0 (X11)");
    EXPECT_EQ(parser.parse("10:11:12\t2025-13-45\trid=R1\t192.0.2.1\t200\t/\tHit\t-", line, reason),
              Outcome::bad);
    EXPECT_EQ(reason, "bad date or time");
    EXPECT_EQ(parser.parse("10:11:12\t2025-05-20\t-\t192.0.2.1\tOK\t/\tHit\t-", line, reason),
              Outcome::bad);
    EXPECT_EQ(reason, "bad sc-status");
}

TEST(AccessLog, CombinedLogsWithTheExtraFieldsTheMappingNames) {
    AccessLogParser parser(LogFormat::nginx_combined, {"upstream_cache_status", "cookie"});
    AccessLine line;
    std::string reason;
    ASSERT_EQ(
        parser.parse(
            R"(198.51.100.7 - - [20/May/2025:10:11:12 +0900] "GET /entry/done?x=1 HTTP/1.1" 200 5120 "-" "Mozilla/5.0 \"quoted\"" "HIT" "entry=N-007; _ga=GA1")",
            line, reason),
        Outcome::parsed)
        << reason;
    EXPECT_EQ(line.at_ms, parse_rfc3339_ms("2025-05-20T01:11:12Z").value());
    EXPECT_EQ(line.method, "GET");
    EXPECT_EQ(line.path, "/entry/done");
    EXPECT_EQ(line.query, "x=1");
    EXPECT_EQ(line.status, 200);
    EXPECT_EQ(line.bytes, 5120);
    EXPECT_EQ(line.cache, "HIT");
    EXPECT_EQ(evidence::cookie_value(line.cookie, "entry"), "N-007");
    // Apache writes "-" for no body; a TLS handshake on the HTTP port is a line, not a page.
    AccessLogParser apache(LogFormat::apache_combined, {});
    ASSERT_EQ(
        apache.parse(R"(203.0.113.9 - - [20/May/2025:10:11:12 -0700] "\x16\x03\x01" 400 - "-" "-")",
                     line, reason),
        Outcome::parsed);
    EXPECT_TRUE(line.path.empty());
    EXPECT_EQ(line.bytes, 0);
    EXPECT_EQ(apache.parse(R"(203.0.113.9 - - [20/May/2025:10:11:12] "GET / HTTP/1.1" 200 1)", line,
                           reason),
              Outcome::bad);
    EXPECT_EQ(reason, "bad time");
}

TEST(AccessLog, JsonLines) {
    AccessLogParser parser(LogFormat::jsonl, {});
    AccessLine line;
    std::string reason;
    ASSERT_EQ(
        parser.parse(
            R"({"time":"2025-05-20T01:02:03Z","remote_addr":"192.0.2.5","path":"/p","query":"rid=R9","status":200,"cache":"MISS"})",
            line, reason),
        Outcome::parsed);
    EXPECT_EQ(line.query, "rid=R9");
    EXPECT_EQ(parser.parse(R"({"time":"yesterday","path":"/p","status":200})", line, reason),
              Outcome::bad);
    EXPECT_EQ(parser.parse("not json", line, reason), Outcome::bad);
}

TEST(Mapping, NamesWhatIsWrong) {
    EXPECT_TRUE(evidence::parse_mapping(mapping_text("path")).is_ok());
    auto bad_regex = evidence::parse_mapping(
        R"({"pages": {"path": "^/(unclosed$", "registration": {"query": "rid"}}})");
    ASSERT_FALSE(bad_regex.is_ok());
    EXPECT_EQ(bad_regex.status().reason(), "bad_mapping");
    EXPECT_NE(bad_regex.status().message().find("pages.path"), std::string::npos);
    auto bad_group = evidence::parse_mapping(
        R"({"pages": {"path": "^/r/([0-9]+)$", "registration": {"path_group": 2}}})");
    ASSERT_FALSE(bad_group.is_ok());
    EXPECT_NE(bad_group.status().message().find("path_group 2"), std::string::npos);
    EXPECT_FALSE(
        evidence::parse_mapping(R"({"cache": {"key": "host", "ttl_seconds": 1}})").is_ok());
    EXPECT_FALSE(evidence::parse_mapping(R"({"registration": {}})").is_ok());  // typo'd section
    EXPECT_FALSE(
        evidence::parse_mapping(R"({"registrations": {"columns": {"organization": "団体名"}}})")
            .is_ok());  // no registration column
}

TEST(CsvTable, Cp932WithQuotedCommasQuotesAndLineBreaks) {
    const auto directory = testing::fresh_directory("csv");
    std::filesystem::create_directories(directory);
    // "受付番号,団体名\r\nR1,"株式会社A, 本社"\r\nR2,"B""薬局"""\r\nR3,"C病院\r\n東棟"\r\n" in
    // CP932.
    const std::string cp932 =
        "\x8e\xf3\x95\x74\x94\xd4\x8d\x86,\x92\x63\x91\xcc\x96\xbc\r\n"
        "R1,\"\x8a\x94\x8e\xae\x89\xef\x8e\xd0"
        "A, \x96\x7b\x8e\xd0\"\r\n"
        "R2,\"B\"\"\x96\xf2\x8b\xc7\"\"\"\r\n"
        "R3,\"C\x95\x61\x89\x40\r\n\x93\x8c\x93\x8f\"\r\n";
    write_file(directory / "a.csv", cp932);
    auto table = evidence::read_csv_table(directory / "a.csv", "auto");
    ASSERT_TRUE(table.is_ok()) << table.status().to_string();
    EXPECT_EQ(table->encoding, "cp932");
    EXPECT_EQ(table->header, (std::vector<std::string>{"受付番号", "団体名"}));
    ASSERT_EQ(table->rows.size(), 3u);
    EXPECT_EQ(table->rows[0].cells[1], "株式会社A, 本社");
    EXPECT_EQ(table->rows[1].cells[1], "B\"薬局\"");
    EXPECT_EQ(table->rows[2].cells[1], "C病院\r\n東棟");
    EXPECT_EQ(table->rows[2].line, 4u);
    // Declared UTF-8 but not: refused with the line, never decoded to U+FFFD.
    auto wrong = evidence::read_csv_table(directory / "a.csv", "utf-8");
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_EQ(wrong.status().reason(), "bad_csv");
    write_file(directory / "open.csv", "id,name\nR1,\"never closed\n");
    auto open_quote = evidence::read_csv_table(directory / "open.csv", "auto");
    ASSERT_FALSE(open_quote.is_ok());
    EXPECT_NE(open_quote.status().message().find("line 2"), std::string::npos);
    std::filesystem::remove_all(directory);
}

TEST(LineReader, GzipAndPlainAlikeAndACutGzipIsAnError) {
    const auto directory = testing::fresh_directory("lines");
    std::filesystem::create_directories(directory);
    std::string text;
    for (int i = 0; i < 50000; ++i) text += "line " + std::to_string(i) + " end\r\n";
    text += std::string(100 * 1024, 'x') + "\nlast";
    write_file(directory / "plain.log", text);
    write_file(directory / "log.gz", text, true);
    for (const char* name : {"plain.log", "log.gz"}) {
        auto reader = evidence::LineReader::open(directory / name).value();
        std::string_view line;
        std::uint64_t count = 0;
        bool saw_cut = false;
        std::string last;
        while (reader->next(line)) {
            ++count;
            saw_cut = saw_cut || reader->cut();
            if (count == 2) {
                EXPECT_EQ(line, "line 1 end");  // the \r is dropped
            }
            last = line;
        }
        EXPECT_TRUE(reader->error().is_ok()) << name;
        EXPECT_EQ(count, 50002u) << name;
        EXPECT_TRUE(saw_cut) << name;
        EXPECT_EQ(last, "last") << name;
    }
    std::ifstream in(directory / "log.gz", std::ios::binary);
    std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_file(directory / "cut.gz", gz.substr(0, gz.size() / 2));
    auto reader = evidence::LineReader::open(directory / "cut.gz").value();
    std::string_view line;
    std::uint64_t whole_lines = 0;
    while (reader->next(line)) {
        // Every line handed out is a whole line of the file, never the half the cut left.
        ASSERT_EQ(line.substr(line.size() - 4), " end") << line;
        ++whole_lines;
    }
    EXPECT_GT(whole_lines, 1000u);
    EXPECT_FALSE(reader->error().is_ok());
    std::filesystem::remove_all(directory);
}

// --- imports, the review and the bundle -------------------------------------------------------

class ExternalEvidence : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = testing::fresh_directory("evidence");
        std::filesystem::create_directories(directory_ / "files");
        database_ = Database::open({.directory = directory_ / "db",
                                    .extra_column_families = {kDataKeysFamily, kMerkleFamily}})
                        .value();
        store_ = EventStore::open(database_, {.durability = Durability::buffered}).value();
        AeadKey master{};
        master.fill(3);
        vault_ = DataKeyVault::open(database_, master,
                                    ErasureJournal::open({directory_ / "erasures.journal"}).value())
                     .value();
        std::array<std::uint8_t, 32> seed{};
        seed.fill(7);
        ledger_ = Ledger::open(*store_, NoteSigner::from_seed(seed, "test/ledger"), "test/ledger")
                      .value();
        incident_ = new_incident();
    }
    void TearDown() override {
        ledger_.reset();
        vault_.reset();
        store_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    std::string new_incident(const std::string& cache_key = "path") {
        const std::string id =
            incident::report(
                *store_, "responder",
                R"({"description":"old site","from":"2025-05-19T00:00:00Z","to":"2025-06-02T00:00:00Z"})")
                .value();
        EXPECT_TRUE(evidence::record_mapping(*store_, id, mapping_text(cache_key), "t").is_ok());
        return id;
    }
    evidence::ImportSource file(const std::string& name, const std::string& bytes,
                                bool gzip = false) {
        write_file(directory_ / "files" / name, bytes, gzip);
        return {directory_ / "files" / name, name};
    }
    Result<evidence::ImportOutcome> import_log(const std::string& id, const std::string& name,
                                               const std::string& lines, bool gzip = false) {
        return evidence::import_access_log(*store_, *vault_, id, LogFormat::cloudfront,
                                           file(name, kCloudFrontHeader + lines, gzip), "t");
    }
    void import_registrations(const std::string& id) {
        auto imported = evidence::import_registrations(
            *store_, *vault_, id,
            file("r.csv",
                 "受付番号,登録日時,団体名,メールアドレス\nA,2025/5/20 9:00,A社,a@x.jp\n"
                 "B,2025/5/20 9:01,B社,b@x.jp\nC,2025/5/20 9:02,C社,c@x.jp\n"),
            "t");
        ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
    }
    // The disclosures to others, as "registration>viewer-address" pairs.
    std::vector<std::string> leaks(const std::string& id) {
        auto review = review_external_evidence(*store_, id, 0, INT64_MAX).value();
        std::vector<std::string> out;
        for (const auto& row : review.rows)
            for (const auto& record : row.to_others)
                out.push_back(row.application + ">" + record.request_id.substr(4));
        return out;
    }

    std::filesystem::path directory_;
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::unique_ptr<DataKeyVault> vault_;
    std::unique_ptr<Ledger> ledger_;
    std::string incident_;
};

// The seed's bug: the cache key left out the query naming the registration.
const std::string kTraffic =
    page_line("00:00:00", "10.0.0.1", "A", "Miss") +        // A's owner fills the key
    page_line("00:00:20", "10.0.0.1", "A", "Hit") +         // A reloads: its own page
    page_line("00:00:30", "10.0.0.2", "B", "Hit") +         // B is served A's page: the leak
    page_line("00:00:40", "10.0.0.3", "C", "Hit", 304) +    // 304: no body served
    page_line("00:00:50", "10.0.0.4", "A", "Error", 403) +  // refused: nothing served
    page_line("00:03:00", "10.0.0.2", "B", "Miss") +        // B gets its own page
    page_line("00:05:00", "10.0.0.3", "C", "Miss") +        // C's own
    page_line("00:05:10", "10.0.0.9", "C", "Hit", 200, "/css/site.css") +  // no personal data
    page_line("00:09:00", "10.0.0.5", "", "Hit");  // a bare page hit after the TTL: no fill

TEST_F(ExternalEvidence, AHitBelongsToTheLastFillNotToTheRequester) {
    import_registrations(incident_);
    auto imported = import_log(incident_, "day1.log", kTraffic);
    ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
    EXPECT_EQ(imported->file.lines, 9);
    EXPECT_EQ(imported->file.recorded, 8);
    EXPECT_EQ(imported->file.unrelated, 1);
    EXPECT_EQ(leaks(incident_), (std::vector<std::string>{"A>00:00:30-10.0.0.2"}));
    auto review = review_external_evidence(*store_, incident_, 0, INT64_MAX).value();
    EXPECT_EQ(review.hits_without_fill, 1u);
    EXPECT_EQ(review.rows.size(), 3u);
    EXPECT_EQ(review.rows[0].to_others[0].remote, "registrant of B");
    // Outside the window the same request is no disclosure of this incident.
    auto before = review_external_evidence(*store_, incident_, 0,
                                           parse_rfc3339_ms("2025-05-20T00:00:30Z").value());
    EXPECT_FALSE(before->rows[0].disclosed_to_others());
}

TEST_F(ExternalEvidence, WithTheCorrectCacheKeyTheSameLogsShowNoLeak) {
    const std::string correct = new_incident("path+query");
    import_registrations(correct);
    ASSERT_TRUE(import_log(correct, "day1.log", kTraffic).is_ok());
    EXPECT_TRUE(leaks(correct).empty());
}

TEST_F(ExternalEvidence, EachCloudFrontEdgeCachesApart) {
    import_registrations(incident_);
    // A's page fills Tokyo's cache; B's hit 20 s later in Osaka cannot be of that fill.
    ASSERT_TRUE(import_log(incident_, "edges.log",
                           page_line("00:00:00", "10.0.0.1", "A", "Miss") +
                               page_line("00:00:20", "10.0.0.2", "B", "Hit", 200,
                                         "/register/complete", "KIX50"))
                    .is_ok());
    EXPECT_TRUE(leaks(incident_).empty());
    EXPECT_EQ(review_external_evidence(*store_, incident_, 0, INT64_MAX)->hits_without_fill, 1u);
}

TEST_F(ExternalEvidence, EveryLineIsAccountedForAndAFileImportedTwiceAddsNothing) {
    const std::string lines = page_line("00:00:00", "10.0.0.1", "A", "Miss") +
                              "2025-05-20\tgarbage\n" +
                              page_line("00:00:30", "10.0.0.2", "B", "Hit") +
                              "2025-13-45\t00:00:00\tNRT\t1\t10.0.0.1\tGET\th\t/\t200\t-\t-\t-\t-"
                              "\tMiss\tr\n";
    auto first = import_log(incident_, "a.log.gz", lines, true);
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_EQ(first->file.lines, 4);
    EXPECT_EQ(first->file.recorded, 2);
    EXPECT_EQ(first->file.bad_lines, 2);
    ASSERT_EQ(first->file.first_bad_lines.size(), 2u);
    EXPECT_EQ(first->file.first_bad_lines[0].line, 4);  // two header lines before
    EXPECT_EQ(first->file.first_bad_lines[1].line, 6);
    const auto head = store_->head();
    auto again = import_log(incident_, "a.log.gz", lines, true);
    ASSERT_TRUE(again.is_ok());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->seq, first->seq);
    EXPECT_EQ(store_->head(), head) << "a second import of the same file appends nothing";
    // The same lines in another file (unzipped, renamed): recorded once.
    auto plain = import_log(incident_, "a.log", lines);
    ASSERT_TRUE(plain.is_ok());
    EXPECT_FALSE(plain->duplicate);
    EXPECT_EQ(plain->file.recorded, 0);
    EXPECT_EQ(plain->file.already_recorded, 2);
    EXPECT_EQ(review_external_evidence(*store_, incident_, 0, INT64_MAX)->requests, 2u);
}

TEST_F(ExternalEvidence, RegistrationsAreSealedAndTheirRowsCountedOnce) {
    import_registrations(incident_);
    auto again = evidence::import_registrations(
        *store_, *vault_, incident_,
        file("r2.csv",
             "受付番号,登録日時,団体名,メールアドレス\nA,2025/5/20 9:00,A社,a@x.jp\n"
             ",2025/5/20,X,x@x.jp\nD,someday,D社,d@x.jp\n"),
        "t");
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(again->file.already_recorded, 1);
    EXPECT_EQ(again->file.bad_lines, 2);
    EXPECT_EQ(again->file.first_bad_lines[0].reason, "no registration id");
    // No personal data in the clear on the evidence stream.
    auto events =
        store_->read_stream_forward(domain::evidence_stream(incident_), StreamVersion{1}, 100)
            .value();
    ASSERT_EQ(events.size(), 3u);
    for (const auto& event : events) {
        EXPECT_EQ(event.payload_json.find("a@x.jp"), std::string::npos);
        EXPECT_EQ(event.payload_json.find("A社"), std::string::npos);
    }
    // A wrong column is the mapping's or the file's mistake, said as such.
    auto wrong = evidence::import_registrations(*store_, *vault_, incident_,
                                                file("r3.csv", "id,name\n1,x\n"), "t");
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_NE(wrong.status().message().find("the export has no column"), std::string::npos);
}

TEST_F(ExternalEvidence, ImportsNeedAMappingAndAnOpenIncident) {
    const std::string id =
        incident::report(
            *store_, "r",
            R"({"description":"x","from":"2025-05-19T00:00:00Z","to":"2025-06-02T00:00:00Z"})")
            .value();
    auto no_mapping = import_log(id, "x.log", page_line("00:00:00", "10.0.0.1", "A", "Miss"));
    ASSERT_FALSE(no_mapping.is_ok());
    EXPECT_EQ(no_mapping.status().reason(), "no_mapping");
    EXPECT_EQ(evidence::record_mapping(*store_, incident_, mapping_text("path"), "t").value(), 0u)
        << "the same mapping again records nothing";
    ASSERT_TRUE(
        incident::take_step(*store_, {}, incident_, "close", "r", R"({"report":"done"})").is_ok());
    auto closed = import_log(incident_, "y.log", page_line("00:00:00", "10.0.0.1", "A", "Miss"));
    ASSERT_FALSE(closed.is_ok());
    EXPECT_EQ(closed.status().reason(), "incident_closed");
}

TEST_F(ExternalEvidence, AnImportedRegistrationCanBeNotified) {
    import_registrations(incident_);
    EXPECT_TRUE(incident::take_step(*store_, {}, incident_, "notify", "r", R"({"application":"A"})")
                    .is_ok());
    auto unknown =
        incident::take_step(*store_, {}, incident_, "notify", "r", R"({"application":"Z"})");
    ASSERT_FALSE(unknown.is_ok());
    EXPECT_EQ(unknown.status().reason(), "not_in_scope");
    EXPECT_EQ(load_incident(*store_, incident_)->notified.count("A"), 1u);
}

class Bundle : public ExternalEvidence {
  protected:
    std::vector<std::string> bundle_lines() {
        import_registrations(incident_);
        EXPECT_TRUE(import_log(incident_, "day1.log", kTraffic).is_ok());
        EXPECT_TRUE(ledger_->cut_checkpoint().is_ok());
        std::ostringstream out;
        auto report = write_evidence_bundle(*store_, *ledger_, incident_, out);
        EXPECT_TRUE(report.is_ok()) << report.status().to_string();
        std::vector<std::string> lines;
        std::istringstream in(out.str());
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }
    EvidenceVerdict verify(const std::vector<std::string>& lines) {
        std::string text;
        for (const auto& line : lines) text += line + "\n";
        std::istringstream in(text);
        return verify_evidence_bundle(in, ledger_->verifier_key()).value();
    }
};

TEST_F(Bundle, VerifiesWithTheKeyAloneAndCatchesEachTampering) {
    auto lines = bundle_lines();
    ASSERT_GT(lines.size(), 10u);
    auto intact = verify(lines);
    EXPECT_TRUE(intact.intact) << intact.problem;
    EXPECT_EQ(intact.files, 2u);

    // An event left out (the 403, say): its stream jumps a version.
    auto omitted = lines;
    omitted.erase(omitted.begin() + 8);
    auto header = json::parse(omitted[0]);
    header["events"] = header["events"].get<int>() - 1;
    omitted[0] = header.dump();
    EXPECT_FALSE(verify(omitted).intact);
    EXPECT_NE(verify(omitted).problem.find("missing"), std::string::npos)
        << verify(omitted).problem;

    // A file line that claims another SHA-256 than the signed event.
    auto file_changed = lines;
    auto file = json::parse(file_changed[2]);
    ASSERT_EQ(file["type"], "file");
    file["sha256"] = std::string(64, '0');
    file_changed[2] = file.dump();
    EXPECT_NE(verify(file_changed).problem.find("differs from its signed event"),
              std::string::npos);

    // An event rewritten and re-hashed: its inclusion proof no longer leads to the signed root.
    auto rewritten = lines;
    auto observed = std::find_if(rewritten.begin(), rewritten.end(), [](const std::string& line) {
        return line.find("\\\"status\\\":200") != std::string::npos;
    });
    ASSERT_NE(observed, rewritten.end());
    auto event = json::parse(*observed);
    std::string canonical = event["canonical"];
    canonical.replace(canonical.find("\"status\":200"), 12, "\"status\":404");
    event["canonical"] = canonical;
    event["hash"] = to_hex(sha256(canonical));
    *observed = event.dump();
    EXPECT_NE(verify(rewritten).problem.find("not in the signed log"), std::string::npos)
        << verify(rewritten).problem;

    // Every evidence event left out, the header's count and stream list made to match: the
    // streams follow from the incident, and the signed files say how many rows there are.
    std::vector<std::string> without_evidence;
    for (const auto& line : lines)
        if (line.find("evidence-" + incident_) == std::string::npos ||
            line.find("\"type\":\"evidence\"") != std::string::npos)
            without_evidence.push_back(line);
    auto cut_header = json::parse(without_evidence[0]);
    cut_header["events"] = intact.events - (lines.size() - without_evidence.size());
    cut_header["streams"] = {"incident-" + incident_};
    without_evidence[0] = cut_header.dump();
    EXPECT_NE(verify(without_evidence).problem.find("rows"), std::string::npos)
        << verify(without_evidence).problem;

    // The same evidence presented as another incident's.
    auto relabelled = lines;
    auto other = json::parse(relabelled[0]);
    other["incident"] = "2026-01-01-forged";
    relabelled[0] = other.dump();
    EXPECT_FALSE(verify(relabelled).intact);

    // Another key.
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    std::istringstream in(text);
    std::array<std::uint8_t, 32> other_seed{};
    other_seed.fill(9);
    EXPECT_FALSE(
        verify_evidence_bundle(in, NoteSigner::from_seed(other_seed, "test/ledger").verifier_key())
            ->intact);
}

TEST_F(ExternalEvidence, NoBundleBeforeACheckpointCoversTheIncident) {
    import_registrations(incident_);
    std::ostringstream out;
    auto report = write_evidence_bundle(*store_, *ledger_, incident_, out);
    ASSERT_FALSE(report.is_ok());
    EXPECT_EQ(report.status().reason(), "checkpoint_pending");
}

TEST_F(ExternalEvidence, AHitWithTwoCandidatesInOneSecondIsListedNeverGuessed) {
    import_registrations(incident_);
    // Logs give whole seconds: whether C's fill came before or after B's hit in 00:00:30 is
    // unknown, so the hit is listed with both candidates, whatever order the files came in.
    for (const bool reversed : {false, true}) {
        const std::string id = new_incident();
        import_registrations(id);
        const std::string fill_a = page_line("00:00:00", "10.0.0.1", "A", "Miss");
        const std::string hit = page_line("00:00:30", "10.0.0.2", "B", "Hit");
        const std::string fill_c = page_line("00:00:30", "10.0.0.3", "C", "Miss");
        ASSERT_TRUE(import_log(id, "f0.log", fill_a).is_ok());
        ASSERT_TRUE(import_log(id, "f1.log", reversed ? fill_c : hit).is_ok());
        ASSERT_TRUE(import_log(id, "f2.log", reversed ? hit : fill_c).is_ok());
        auto review = review_external_evidence(*store_, id, 0, INT64_MAX).value();
        EXPECT_TRUE(leaks(id).empty()) << reversed;
        EXPECT_EQ(review.ambiguous_hits, 1u) << reversed;
        ASSERT_EQ(review.ambiguous.size(), 1u);
        EXPECT_EQ(review.ambiguous[0].candidates.size(), 2u);
    }
}

TEST_F(ExternalEvidence, CacheWordsInAnyCaseAndUnknownOnesCounted) {
    import_registrations(incident_);
    const std::string lines =
        R"({"time":"2025-05-20T00:00:00Z","remote_addr":"10.0.0.1","path":"/register/complete","query":"rid=A","status":200,"cache":"miss"})"
        "\n"
        R"({"time":"2025-05-20T00:00:10Z","remote_addr":"10.0.0.2","path":"/register/complete","query":"rid=B","status":200,"cache":"hit"})"
        "\n"
        R"({"time":"2025-05-20T00:00:20Z","remote_addr":"10.0.0.3","path":"/register/complete","query":"rid=C","status":200,"cache":"warm"})"
        "\n"
        R"({"time":"2025-05-20T00:00:20Z","remote_addr":"10.0.0.3","path":"/register/complete","query":"rid=C","status":4294967496})"
        "\n";
    auto imported = evidence::import_access_log(*store_, *vault_, incident_, LogFormat::jsonl,
                                                file("cdn.jsonl", lines), "t");
    ASSERT_TRUE(imported.is_ok());
    EXPECT_EQ(imported->file.bad_lines, 1) << "a status out of range is no status";
    auto review = review_external_evidence(*store_, incident_, 0, INT64_MAX).value();
    EXPECT_EQ(leaks(incident_).size(), 1u);
    EXPECT_EQ(review.unknown_cache_words, 1u);
}

TEST_F(ExternalEvidence, TheSameLineTwiceInOneFileIsTwoRequests) {
    import_registrations(incident_);
    const std::string reload = page_line("00:00:00", "10.0.0.1", "A", "Miss");
    auto imported = import_log(incident_, "twice.log", reload + reload);
    ASSERT_TRUE(imported.is_ok());
    EXPECT_EQ(imported->file.recorded, 2);
    // And the same lines in another file (compressed) add nothing.
    EXPECT_EQ(import_log(incident_, "copy.log.gz", reload + reload, true)->file.already_recorded,
              2);
}

TEST_F(ExternalEvidence, ACorrectedMappingLetsTheSameFileBeReadAgain) {
    const std::string id =
        incident::report(
            *store_, "r",
            R"({"description":"x","from":"2025-05-19T00:00:00Z","to":"2025-06-02T00:00:00Z"})")
            .value();
    std::string typo = mapping_text("path");
    typo.replace(typo.find("complete"), 8, "complte");
    ASSERT_TRUE(evidence::record_mapping(*store_, id, typo, "t").is_ok());
    const std::string lines = page_line("00:00:00", "10.0.0.1", "A", "Miss");
    EXPECT_EQ(import_log(id, "a.log", lines)->file.unrelated, 1);
    ASSERT_TRUE(evidence::record_mapping(*store_, id, mapping_text("path"), "t").is_ok());
    auto again = import_log(id, "a.log", lines);
    ASSERT_TRUE(again.is_ok());
    EXPECT_FALSE(again->duplicate);
    EXPECT_EQ(again->file.recorded, 1);
}

TEST_F(ExternalEvidence, AHostilePathIsABadLineNotACrash) {
    const std::string id =
        incident::report(
            *store_, "r",
            R"({"description":"x","from":"2025-05-19T00:00:00Z","to":"2025-06-02T00:00:00Z"})")
            .value();
    ASSERT_TRUE(
        evidence::record_mapping(
            *store_, id,
            R"({"pages": {"path": "^/r/([a-z0-9]+-?)+/done$", "registration": {"path_group": 1}}})",
            "t")
            .is_ok());
    const std::string hostile = R"({"time":"2025-05-20T00:00:00Z","path":"/r/)" +
                                std::string(5000, 'a') + R"(!","status":200})" + "\n";
    auto imported = evidence::import_access_log(*store_, *vault_, id, LogFormat::jsonl,
                                                file("hostile.jsonl", hostile), "t");
    ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
    EXPECT_EQ(imported->file.bad_lines, 1);
    EXPECT_EQ(imported->file.first_bad_lines[0].reason,
              "the path is too complex for pages.path to match");
}

TEST_F(ExternalEvidence, AGzipCutShortRecordsNoHalfLine) {
    std::string lines;
    for (int i = 0; i < 3000; ++i) {
        char time[16];
        std::snprintf(time, sizeof time, "%02d:%02d:%02d", i / 3600, i / 60 % 60, i % 60);
        lines += page_line(time, "10.0." + std::to_string(i % 200) + ".1", "A", "Miss");
    }
    write_file(directory_ / "files" / "whole.gz", kCloudFrontHeader + lines, true);
    std::ifstream in(directory_ / "files" / "whole.gz", std::ios::binary);
    const std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto cut = evidence::import_access_log(*store_, *vault_, incident_, LogFormat::cloudfront,
                                           file("cut.gz", gz.substr(0, gz.size() / 2)), "t");
    ASSERT_TRUE(cut.is_ok());
    EXPECT_GE(cut->file.bad_lines, 1);
    auto whole = evidence::import_access_log(*store_, *vault_, incident_, LogFormat::cloudfront,
                                             {directory_ / "files" / "whole.gz", "whole.gz"}, "t");
    ASSERT_TRUE(whole.is_ok());
    EXPECT_EQ(cut->file.recorded + whole->file.recorded, 3000)
        << "no phantom request from the half line the cut left";
}

TEST_F(ExternalEvidence, ARowWithTheWrongNumberOfCellsIsABadLine) {
    auto imported = evidence::import_registrations(*store_, *vault_, incident_,
                                                   file("shifted.csv",
                                                        "受付番号,登録日時,団体名,メールアドレス\n"
                                                        "\"A\nB\",2025/5/20 9:00,A社,a@x.jp\n"
                                                        "C,2025/5/20 9:00,C社\n"
                                                        "D,2025/5/20 9:00,D社,d@x.jp,extra\n"),
                                                   "t");
    ASSERT_TRUE(imported.is_ok());
    EXPECT_EQ(imported->file.recorded, 1);
    ASSERT_EQ(imported->file.bad_lines, 2);
    EXPECT_EQ(imported->file.first_bad_lines[0].line, 4) << "the row after a two-line id";
    EXPECT_EQ(imported->file.first_bad_lines[0].reason, "3 cells where the header has 4");
    EXPECT_EQ(imported->file.first_bad_lines[1].line, 5);
}

TEST_F(ExternalEvidence, ErasingTheEvidenceShredsItsKeyAndTheFindingsStand) {
    import_registrations(incident_);
    ASSERT_TRUE(import_log(incident_, "day1.log", kTraffic).is_ok());
    EXPECT_FALSE(evidence::erase_evidence(*store_, *vault_, incident_, "", "r").is_ok())
        << "a reason is required";
    ASSERT_TRUE(evidence::erase_evidence(*store_, *vault_, incident_, "保存期間終了", "r").is_ok());
    auto events =
        store_->read_stream_forward(domain::evidence_stream(incident_), StreamVersion{1}, 1)
            .value();
    const auto sealed = json::parse(events[0].payload_json)["sealed"].get<std::string>();
    auto opened = vault_->open_sealed(domain::evidence_stream(incident_), sealed);
    ASSERT_FALSE(opened.is_ok());
    EXPECT_EQ(opened.status().reason(), "erased");
    EXPECT_EQ(leaks(incident_), (std::vector<std::string>{"A>00:00:30-10.0.0.2"}));
    auto late = import_log(incident_, "day2.log", page_line("01:00:00", "10.0.0.7", "C", "Miss"));
    ASSERT_FALSE(late.is_ok());
    EXPECT_EQ(late.status().reason(), "erased");
}

}  // namespace
}  // namespace kakitome
