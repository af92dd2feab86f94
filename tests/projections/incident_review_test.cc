// The 469-registration review: 469 registrants each see their own data, staff work through
// the queue, and a misconfigured cache shows 3 registrations to 3 other registrants inside the
// incident window. The review finds exactly those 3 and their viewers, nothing else; the
// incident's scope and notifications show in it; the APPI assessment says what must be done.
#include "projections/incident_review.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/streams.h"
#include "events/base/timestamp.h"
#include "events/test_store.h"

namespace kakitome {
namespace {

using nlohmann::json;

class Review : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = testing::fresh_directory("incident");
        database_ =
            Database::open({.directory = directory_, .extra_column_families = {kDisclosuresFamily}})
                .value();
        store_ = EventStore::open(database_, {.durability = Durability::buffered,
                                              .clock_ms = [this] { return now_; }})
                     .value();
    }
    void TearDown() override {
        store_.reset();
        database_.reset();
        std::filesystem::remove_all(directory_);
    }
    void at(const char* time) { now_ = parse_rfc3339_ms(time).value(); }
    static std::string application(int i) { return "app" + std::to_string(1000 + i); }
    static std::string owner(int i) { return "applicant:k" + std::to_string(i); }
    // Registrations 0..count-1, one a minute from `start`, each owned by applicant:k<i>.
    void register_applications(const char* start, int count) {
        at(start);
        for (int i = 0; i < count; ++i) {
            now_ += 60'000;
            ASSERT_TRUE(store_
                            ->append(domain::application_stream(application(i)),
                                     ExpectedVersion::no_stream(),
                                     {domain::new_event(domain::FormMailReceived{
                                         .sender_key = "k" + std::to_string(i)})})
                            .is_ok());
        }
    }
    void disclose(const std::string& principal, const std::string& role, int registration,
                  const std::string& request_id) {
        const domain::PiiDisclosed disclosed{
            .principal = principal,
            .role = role,
            .request_id = request_id,
            .endpoint = "GET /v1/applications/{id}",
            .remote = "203.0.113.7",
            .applications = {application(registration)},
            .fields_shown = {"organization", "contact_email", "sender"}};
        ASSERT_TRUE(store_
                        ->append(domain::disclosure_stream(principal), ExpectedVersion::any(),
                                 {domain::new_event(disclosed)})
                        .is_ok());
    }

    std::filesystem::path directory_;
    std::shared_ptr<Database> database_;
    std::unique_ptr<EventStore> store_;
    std::int64_t now_ = 0;
};

// The leak of the first download site, replayed: 469 registrations, owners and staff looking
// at their own work, three registrations shown by the cache to other registrants inside the
// window, one leak before it and one after; an incident reported on 6/12 scoped to everyone,
// two of the three told so far.
class LeakReview : public Review {
  protected:
    void SetUp() override {
        Review::SetUp();
        register_applications("2025-05-19T09:00:00+09:00", 469);
        // Before the window: owners and staff look; one registrant sees someone else's data too.
        at("2025-06-01T10:00:00+09:00");
        disclose(owner(5), "applicant", 7, "early-leak");
        // The window: every owner sees their own registration, staff work, the cache leaks three.
        at("2025-06-10T09:00:00+09:00");
        for (int i = 0; i < 469; ++i) {
            now_ += 1000;
            disclose(owner(i), "applicant", i, "own-" + std::to_string(i));
            if (i % 10 == 0) disclose("operator-sato", "operator", i, "staff-" + std::to_string(i));
            if (i % 50 == 0) disclose("auditor-ito", "auditor", i, "audit-" + std::to_string(i));
        }
        at("2025-06-10T11:15:00+09:00");
        disclose(owner(100), "applicant", 17, "cache-leak-1");
        disclose(owner(231), "applicant", 230, "cache-leak-2");
        disclose(owner(2), "applicant", 401, "cache-leak-3");
        // After the window.
        at("2025-06-12T10:00:00+09:00");
        disclose(owner(9), "applicant", 8, "late-leak");

        index_ = std::make_unique<DisclosureIndex>(*store_);
        ASSERT_TRUE(index_->catch_up().is_ok());
        ASSERT_TRUE(index_->catch_up().is_ok());  // idempotent

        at("2025-06-12T12:00:00+09:00");
        ASSERT_TRUE(
            store_
                ->append(domain::incident_stream(kIncident), ExpectedVersion::no_stream(),
                         {testing::event_of("IncidentReported",
                                            json{{"reporter", "responder-1"},
                                                 {"description", "CDN cache served private pages"},
                                                 {"window",
                                                  {{"from", "2025-06-10T00:00:00+09:00"},
                                                   {"to", "2025-06-11T00:00:00+09:00"}}}}
                                                .dump())})
                .is_ok());
        std::vector<std::string> everyone;
        auto registered =
            index_->registered_in(0, parse_rfc3339_ms("2025-06-11T00:00:00+09:00").value());
        ASSERT_TRUE(registered.is_ok());
        for (const auto& registration : registered.value())
            everyone.push_back(registration.application);
        ASSERT_EQ(everyone.size(), 469u);
        ASSERT_TRUE(
            store_
                ->append(
                    domain::incident_stream(kIncident), ExpectedVersion::any(),
                    {testing::event_of("IncidentScoped", json{{"applications", everyone}}.dump()),
                     testing::event_of(
                         "AffectedPartyNotified",
                         json{{"application", application(17)}, {"channel", "mail"}}.dump()),
                     testing::event_of(
                         "AffectedPartyNotified",
                         json{{"application", application(230)}, {"channel", "mail"}}.dump())})
                .is_ok());
        auto incident = load_incident(*store_, kIncident);
        ASSERT_TRUE(incident.is_ok());
        incident_ = std::move(incident.value());
        ASSERT_EQ(incident_.scope.size(), 469u);
    }
    Result<IncidentReview> review(AppiFacts facts = {}) const {
        return review_incident(*index_, incident_.window_from_ms, incident_.window_to_ms, incident_,
                               facts);
    }

    static constexpr const char* kIncident = "2025-06-11-cache";
    std::unique_ptr<DisclosureIndex> index_;
    IncidentRecord incident_;
};

TEST_F(LeakReview, FindsExactlyTheThreeRegistrationsShownToOthersAndTheirViewers) {
    auto review = this->review();
    ASSERT_TRUE(review.is_ok()) << review.status().to_string();
    EXPECT_EQ(review->rows.size(), 469u);
    EXPECT_EQ(review->affected, 3u);
    std::map<std::string, std::pair<std::string, std::string>>
        found;  // application -> (viewer, request)
    for (const auto& row : review->rows) {
        if (!row.disclosed_to_others()) continue;
        ASSERT_EQ(row.to_others.size(), 1u) << row.application;
        found[row.application] = {row.to_others[0].principal, row.to_others[0].request_id};
        EXPECT_EQ(row.to_others[0].fields,
                  (std::vector<std::string>{"organization", "contact_email", "sender"}));
        EXPECT_EQ(row.to_others[0].at, "2025-06-10T02:15:00.000Z");
    }
    const std::map<std::string, std::pair<std::string, std::string>> expected = {
        {application(17), {owner(100), "cache-leak-1"}},
        {application(230), {owner(231), "cache-leak-2"}},
        {application(401), {owner(2), "cache-leak-3"}}};
    EXPECT_EQ(found, expected);
}

TEST_F(LeakReview, TheAssessmentCountsTheAffectedAndTheNotified) {
    auto review = this->review();
    ASSERT_TRUE(review.is_ok()) << review.status().to_string();
    int notified = 0;
    for (const auto& row : review->rows) notified += row.notified ? 1 : 0;
    EXPECT_EQ(notified, 2);
    ASSERT_EQ(review->assessment.size(), 4u);
    EXPECT_NE(review->assessment[0].find("3 of 469"), std::string::npos);
    EXPECT_NE(review->assessment[2].find("not mandatory"), std::string::npos);
    EXPECT_NE(review->assessment[3].find("2 of 3"), std::string::npos);
}

TEST_F(LeakReview, APossibleUnauthorisedPurposeMakesTheReportMandatoryWithSixtyDays) {
    auto deliberate = review(AppiFacts{false, false, true});
    ASSERT_TRUE(deliberate.is_ok()) << deliberate.status().to_string();
    EXPECT_NE(deliberate->assessment[2].find("MANDATORY"), std::string::npos);
    EXPECT_NE(deliberate->assessment[2].find("final report due by 2025-08-11"), std::string::npos)
        << deliberate->assessment[2];
    EXPECT_NE(deliberate->assessment[2].find("preliminary report due by 2025-06-17"),
              std::string::npos);
}

TEST_F(LeakReview, WhoSawAndSawWhatAnswerFromTheIndex) {
    auto who = index_->who_saw(application(17));
    ASSERT_TRUE(who.is_ok());
    std::set<std::string> viewers;
    for (const auto& record : who.value()) viewers.insert(record.principal);
    EXPECT_EQ(viewers, (std::set<std::string>{owner(17), owner(100)}));
    auto what = index_->saw_what(owner(100));
    ASSERT_TRUE(what.is_ok());
    EXPECT_EQ(what->size(), 2u);  // its own registration and the leaked one
}

TEST_F(LeakReview, TheCsvNamesEachAffectedRegistrationWithItsViewerAndNothingOutsideTheWindow) {
    auto review = this->review();
    ASSERT_TRUE(review.is_ok()) << review.status().to_string();
    const std::string csv = review_as_csv(review.value());
    EXPECT_NE(csv.find("\"" + application(230) + "\",\"" + owner(230) + "\",yes,yes,\"" +
                       owner(231) + "\""),
              std::string::npos);
    EXPECT_EQ(csv.find("early-leak"), std::string::npos);
    EXPECT_EQ(csv.find("late-leak"), std::string::npos);
}

// Defect: with nothing disclosed to others, --unauthorised-purpose printed that a report to the
// PPC is mandatory, while without the flag the same review said there was nothing to report.
TEST_F(Review, TriggersApplyOnlyToRegistrationsActuallyDisclosed) {
    register_applications("2025-05-19T09:00:00+09:00", 10);
    at("2025-06-10T09:00:00+09:00");
    for (int i = 0; i < 10; ++i) disclose(owner(i), "applicant", i, "own-" + std::to_string(i));
    DisclosureIndex index(*store_);
    ASSERT_TRUE(index.catch_up().is_ok());
    const auto from = parse_rfc3339_ms("2025-06-10T00:00:00+09:00").value();
    const auto to = parse_rfc3339_ms("2025-06-11T00:00:00+09:00").value();
    for (const AppiFacts facts :
         {AppiFacts{}, AppiFacts{false, false, true}, AppiFacts{true, true, true}}) {
        auto review = review_incident(index, from, to, std::nullopt, facts);
        ASSERT_TRUE(review.is_ok());
        EXPECT_EQ(review->affected, 0u);
        std::string text;
        for (const auto& line : review->assessment) text += line + "\n";
        EXPECT_NE(text.find("0 of 10"), std::string::npos) << text;
        EXPECT_EQ(text.find("MANDATORY"), std::string::npos) << text;
        EXPECT_NE(text.find("nothing to report"), std::string::npos) << text;
    }
}

// Defect (#12): a responder who opened an affected applicant's contact to notify them was
// counted as a leak of that registration.
TEST_F(Review, AResponderOpeningAContactToNotifyIsNotALeak) {
    register_applications("2025-05-19T09:00:00+09:00", 3);
    at("2025-06-10T09:00:00+09:00");
    disclose("responder-1", "responder", 1, "notify-1");
    disclose(owner(0), "applicant", 2, "real-leak");
    DisclosureIndex index(*store_);
    ASSERT_TRUE(index.catch_up().is_ok());
    auto review =
        review_incident(index, parse_rfc3339_ms("2025-06-10T00:00:00+09:00").value(),
                        parse_rfc3339_ms("2025-06-11T00:00:00+09:00").value(), std::nullopt);
    ASSERT_TRUE(review.is_ok());
    EXPECT_EQ(review->affected, 1u) << "only the registration shown to another applicant";
    for (const auto& row : review->rows)
        EXPECT_EQ(row.disclosed_to_others(), row.application == application(2)) << row.application;
}

// Issue 12: the PPC's deadlines counted down in the secretariat's business days. Learned of on
// Monday 2026-12-28, the preliminary report falls on Saturday 2027-01-02: five calendar days,
// but the year-end closure (12/29–1/3) leaves no working day before it.
TEST_F(Review, DeadlinesCountDownInBusinessDaysAcrossTheYearEndClosure) {
    register_applications("2026-12-01T09:00:00+09:00", 2);
    at("2026-12-27T09:00:00+09:00");
    disclose(owner(0), "applicant", 1, "leak");
    DisclosureIndex index(*store_);
    ASSERT_TRUE(index.catch_up().is_ok());
    auto review =
        review_incident(index, parse_rfc3339_ms("2026-12-27T00:00:00+09:00").value(),
                        parse_rfc3339_ms("2026-12-28T10:00:00+09:00").value(), std::nullopt);
    ASSERT_TRUE(review.is_ok());
    ASSERT_EQ(review->affected, 1u);
    const workflow::BusinessCalendar calendar;
    auto deadlines =
        report_deadlines(*review, parse_rfc3339_ms("2026-12-28T12:00:00+09:00").value(), calendar);
    ASSERT_EQ(deadlines.size(), 2u);
    EXPECT_EQ(deadlines[0].kind, "preliminary_report");
    EXPECT_EQ(deadlines[0].due_date, "2027-01-02");
    EXPECT_EQ(deadlines[0].calendar_days_left, 5);
    EXPECT_EQ(deadlines[0].business_days_left, 0);
    EXPECT_FALSE(deadlines[0].mandatory);  // one person, no trigger: recommended, not required
    EXPECT_EQ(deadlines[1].due_date, "2027-01-27");
    // Jan 4–27 without weekends and 成人の日 (Jan 11).
    EXPECT_EQ(deadlines[1].business_days_left, 17);
    // Past the date: the business days since, negative.
    deadlines =
        report_deadlines(*review, parse_rfc3339_ms("2027-01-05T09:00:00+09:00").value(), calendar);
    EXPECT_EQ(deadlines[0].calendar_days_left, -3);
    EXPECT_EQ(deadlines[0].business_days_left, -2);
    EXPECT_TRUE(deadlines[0].overdue);
    EXPECT_FALSE(deadlines[1].overdue);
    // The day after a Saturday deadline: no working day has passed, but it is missed.
    deadlines =
        report_deadlines(*review, parse_rfc3339_ms("2027-01-03T09:00:00+09:00").value(), calendar);
    EXPECT_EQ(deadlines[0].business_days_left, 0);
    EXPECT_TRUE(deadlines[0].overdue);
    // Nothing disclosed to others: no deadline to count.
    auto clean =
        review_incident(index, parse_rfc3339_ms("2026-12-01T00:00:00+09:00").value(),
                        parse_rfc3339_ms("2026-12-02T00:00:00+09:00").value(), std::nullopt);
    ASSERT_TRUE(clean.is_ok());
    EXPECT_TRUE(report_deadlines(*clean, 0, calendar).empty());
}

}  // namespace
}  // namespace kakitome
