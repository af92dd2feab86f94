// The event vocabulary's promises: a payload decodes to its struct or to an error that names the
// field (never to empty strings), the catalog lists each type once, stream names round-trip,
// and the upcaster chain is refused when it has a gap, a cycle or an undeclared output.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/domain_event.h"
#include "engine/domain/event_catalog.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/streams.h"
#include "engine/domain/upcasting.h"
#include "engine/domain/usage_channel.h"

namespace kakitome::domain {
namespace {

using nlohmann::json;

RecordedEvent recorded(std::string type, int schema, std::string payload_json) {
    RecordedEvent event;
    event.seq = Seq{7};
    event.stream = application_stream("a1");
    event.type = std::move(type);
    event.schema = schema;
    event.payload_json = std::move(payload_json);
    return event;
}

TEST(Payload, RoundTripsThroughItsOwnJson) {
    const UrlIssued issued{"abc", "2026-01-01T00:00:00.000Z", "2026-01-15T00:00:00.000Z", 2};
    const NewEvent event = new_event(issued, {.actor = "staff-1", .correlation = "r1"});
    EXPECT_EQ(event.type, "UrlIssued");
    EXPECT_EQ(event.schema, 1);
    EXPECT_EQ(event.actor, "staff-1");
    auto decoded = decode<UrlIssued>(recorded(event.type, event.schema, event.payload_json));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->token_sha256, "abc");
    EXPECT_EQ(decoded->expires_at, "2026-01-15T00:00:00.000Z");
    EXPECT_EQ(decoded->generation, 2u);
}

TEST(Payload, AMissingRequiredFieldIsAnErrorNamingIt) {
    auto decoded = decode<UrlRevoked>(recorded("UrlRevoked", 1, R"({"reason":"x"})"));
    ASSERT_FALSE(decoded.is_ok());
    EXPECT_EQ(decoded.status().reason(), "bad_payload");
    EXPECT_NE(decoded.status().message().find("token_sha256"), std::string::npos)
        << decoded.status().message();
    EXPECT_NE(decoded.status().message().find("event 7"), std::string::npos);
}

TEST(Payload, AValueOfTheWrongTypeIsAnError) {
    auto text_for_number = decode<MailSent>(
        recorded("MailSent", 1, R"({"mail_id":"m","attempt":"1","message_id":"i"})"));
    ASSERT_FALSE(text_for_number.is_ok());
    EXPECT_NE(text_for_number.status().message().find("attempt"), std::string::npos);
    auto negative = decode<FormDecrypted>(recorded(
        "FormDecrypted", 1,
        R"({"method":"agile","integrity_checked":true,"plaintext_sha256":"s","plaintext_bytes":-1})"));
    EXPECT_FALSE(negative.is_ok());
    auto not_json = decode<MailSent>(recorded("MailSent", 1, "{"));
    EXPECT_EQ(not_json.status().reason(), "bad_payload");
}

TEST(Payload, OptionalFieldsMayBeAbsentOrNullAndAreLeftOutWhenEmpty) {
    auto decoded = decode<MailFailed>(recorded(
        "MailFailed", 1,
        R"({"mail_id":"m","attempt":3,"error":"e","reason":"r","final":true,"next_attempt_at":null})"));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_FALSE(decoded->next_attempt_at.has_value());
    const NewEvent event = new_event(*decoded);
    EXPECT_EQ(json::parse(event.payload_json).count("next_attempt_at"), 0u);
}

TEST(Payload, NestedStructsAndRenamedFieldsUseTheirJsonNames) {
    const NewEvent event =
        new_event(IncidentReported{"r", "d", {"2025-06-10T00:00:00Z", "2025-06-11T00:00:00Z"}});
    const json payload = json::parse(event.payload_json);
    EXPECT_EQ(payload["window"]["from"], "2025-06-10T00:00:00Z");
    const NewEvent approved = new_event(ApplicationApproved{true, {"no_consent"}, false, "ok"});
    EXPECT_EQ(json::parse(approved.payload_json)["override"], true);
}

TEST(Payload, DecodeRefusesAnotherTypeAndAnOlderSchema) {
    EXPECT_FALSE(decode<UrlRevoked>(recorded("UrlIssued", 1, "{}")).is_ok());
    auto old = decode<FormParsed>(recorded("FormParsed", 1, R"({"usages":[]})"));
    ASSERT_FALSE(old.is_ok());
    EXPECT_NE(old.status().message().find("schema 1"), std::string::npos);
}

TEST(Catalog, ListsEachTypeOnceWithItsSchema) {
    std::set<std::string_view> seen;
    for (const auto& info : event_catalog()) {
        EXPECT_TRUE(seen.insert(info.type).second) << info.type;
        EXPECT_GE(info.schema, 1);
    }
    EXPECT_EQ(current_schema("FormParsed"), 2);
    EXPECT_EQ(current_schema("UrlRevoked"), 1);
    EXPECT_FALSE(current_schema("NoSuchEvent").has_value());
}

TEST(Streams, ApplicationStreamsRoundTripAndOthersAreNotApplications) {
    EXPECT_EQ(application_stream("4534617e794ea227a790"), "application-4534617e794ea227a790");
    EXPECT_EQ(application_of("application-4534617e794ea227a790"), "4534617e794ea227a790");
    EXPECT_FALSE(application_of("application-").has_value());
    EXPECT_FALSE(application_of("sender-application-x").has_value());
    EXPECT_FALSE(application_of("principals").has_value());
    EXPECT_EQ(token_stream("ab"), "token-ab");
    EXPECT_EQ(incident_stream("2026-11-26-abc"), "incident-2026-11-26-abc");
}

TEST(UsageChannels, EveryLabelHasACodeAndBack) {
    for (const auto& channel : kUsageChannels) {
        EXPECT_EQ(usage_channel_code(channel.label), channel.code);
        EXPECT_EQ(usage_channel_label(channel.code), channel.label);
    }
    EXPECT_FALSE(usage_channel_code("テレビCM").has_value());
}

TEST(Upcasting, TheSystemsChainHoldsItsContract) {
    const Status chain = check_upcast_chain(upcast_steps(), event_catalog());
    EXPECT_TRUE(chain.is_ok()) << chain.to_string();
}

TEST(Upcasting, FormParsedLabelsBecomeCodesAndTheEnvelopeStays) {
    RecordedEvent stored = recorded(
        "FormParsed", 1,
        R"({"application_date":"2025-06-10","consent":"同意する","pii_fields":[],"pii_sealed":"s",)"
        R"("sheet":"申請書","usages":["公式HP","テレビCM","その他"]})");
    stored.actor = "system";
    std::vector<RecordedEvent> current;
    ASSERT_TRUE(for_each_current_event(stored, [&](const RecordedEvent& e) {
                    current.push_back(e);
                }).is_ok());
    ASSERT_EQ(current.size(), 1u);
    EXPECT_EQ(current[0].schema, 2);
    EXPECT_EQ(current[0].seq, stored.seq);
    EXPECT_EQ(current[0].stream, stored.stream);
    auto form = decode<FormParsed>(current[0]);
    ASSERT_TRUE(form.is_ok()) << form.status().to_string();
    EXPECT_EQ(form->usage_channels, (std::vector<std::string>{"official_website", "other"}));
    EXPECT_EQ(form->unrecognized_usages, (std::vector<std::string>{"テレビCM"}));
    EXPECT_EQ(form->sheet, "申請書");
}

TEST(Upcasting, ACurrentEventPassesAsItIs) {
    const RecordedEvent stored = recorded("UrlRevoked", 1, R"({"reason":"r","token_sha256":"t"})");
    int visits = 0;
    ASSERT_TRUE(for_each_current_event(stored, [&](const RecordedEvent& e) {
                    ++visits;
                    EXPECT_EQ(e.payload_json, stored.payload_json);
                }).is_ok());
    EXPECT_EQ(visits, 1);
}

TEST(Upcasting, AnEventFromANewerKakitomeIsRefused) {
    const Status status = for_each_current_event(recorded("UrlRevoked", 2, "{}"),
                                                 [](const RecordedEvent&) { FAIL(); });
    EXPECT_EQ(status.reason(), "schema_too_new");
    EXPECT_NE(status.message().find("event 7"), std::string::npos);
}

// A made-up catalog and chains to show what check_upcast_chain refuses.
const std::vector<EventTypeInfo> kCatalog = {{"Split", 3}, {"Part", 2}, {"Gone", 2}};

UpcastStep step(std::string_view type, int from,
                std::vector<std::pair<std::string_view, int>> out) {
    return {type, from, std::move(out), [](const EventBody&) {
                return Result<std::vector<EventBody>>(std::vector<EventBody>{});
            }};
}

TEST(Upcasting, ACompleteChainWithASplitAndADropIsAccepted) {
    const std::vector<UpcastStep> steps = {step("Split", 1, {{"Split", 2}}),
                                           step("Split", 2, {{"Split", 3}, {"Part", 2}}),
                                           step("Part", 1, {{"Part", 2}}), step("Gone", 1, {})};
    EXPECT_TRUE(check_upcast_chain(steps, kCatalog).is_ok());
}

TEST(Upcasting, AGapIsRefused) {
    const std::vector<UpcastStep> steps = {step("Split", 1, {{"Split", 2}}),
                                           step("Part", 1, {{"Part", 2}}), step("Gone", 1, {})};
    const Status status = check_upcast_chain(steps, kCatalog);
    EXPECT_EQ(status.reason(), "bad_upcaster_chain");
    EXPECT_NE(status.message().find("no step from Split schema 2"), std::string::npos)
        << status.message();
}

TEST(Upcasting, ACycleIsRefused) {
    const std::vector<UpcastStep> steps = {step("Split", 1, {{"Part", 1}}),
                                           step("Split", 2, {{"Split", 3}}),
                                           step("Part", 1, {{"Split", 1}}), step("Gone", 1, {})};
    const Status status = check_upcast_chain(steps, kCatalog);
    EXPECT_NE(status.message().find("cycle"), std::string::npos) << status.message();
}

TEST(Upcasting, TwoStepsFromOneSchemaAndUnknownOutputsAreRefused) {
    EXPECT_FALSE(check_upcast_chain(
                     {step("Split", 1, {{"Split", 2}}), step("Split", 1, {{"Split", 2}})}, kCatalog)
                     .is_ok());
    EXPECT_FALSE(check_upcast_chain({step("Gone", 1, {{"Nowhere", 1}})}, kCatalog).is_ok());
    EXPECT_FALSE(check_upcast_chain({step("Gone", 1, {{"Part", 3}})}, kCatalog).is_ok());
    EXPECT_FALSE(check_upcast_chain({step("Gone", 2, {})}, kCatalog).is_ok());
}

TEST(Upcasting, AStepThatGivesWhatItDidNotDeclareIsAnErrorWhenRead) {
    std::vector<UpcastStep> steps = {
        {"FormParsed", 1, {{"FormParsed", 2}}, [](const EventBody&) {
             return Result<std::vector<EventBody>>(
                 std::vector<EventBody>{{"UrlRevoked", 1, json::object()}});
         }}};
    const Status status = for_each_current_event(recorded("FormParsed", 1, R"({"usages":[]})"),
                                                 steps, [](const RecordedEvent&) { FAIL(); });
    EXPECT_EQ(status.reason(), "bad_upcaster_chain");
    EXPECT_NE(status.message().find("undeclared"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace kakitome::domain
