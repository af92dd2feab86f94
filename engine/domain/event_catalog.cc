#include "engine/domain/event_catalog.h"

#include <unordered_map>

#include "engine/domain/access_events.h"
#include "engine/domain/application_events.h"
#include "engine/domain/external_evidence_events.h"
#include "engine/domain/incident_events.h"
#include "engine/domain/intake_events.h"
#include "engine/domain/operations_events.h"

namespace kakitome::domain {

namespace {

template <EventPayload... Payloads>
std::vector<EventTypeInfo> catalog_of() {
    return {EventTypeInfo{Payloads::kType, Payloads::kSchema}...};
}

}  // namespace

const std::vector<EventTypeInfo>& event_catalog() {
    static const std::vector<EventTypeInfo> catalog = catalog_of<
        // application-<id>
        FormMailReceived, PasswordMailReceived, PasswordRejected, MailsPaired, FormDecrypted,
        FormParsed, ApplicationValidated, ApplicationRejected, PossibleDuplicateFlagged,
        ApplicationAssigned, ApplicationApproved, CorrectionRequested, ApplicationWithdrawn,
        ApplicationErased, RetentionErased, LegalHoldPlaced, LegalHoldReleased, UrlIssued,
        UrlRevoked, UrlExpired, UrlDownloaded, UrlDownloadRefused, PasswordReminderDue, SlaDue,
        SlaOverdue, MailQueued, MailSent, MailFailed,
        // message-, sender-, duplicate-
        MessageIngested, MailRejected, UnrelatedMailReceived, MessageRetentionErased,
        MessageIdReused, FormPending, PasswordHeld, Paired, RefusalAnswered, DuplicateKeyRecorded,
        // principals, disclosure-, token-, idempotency-
        TokenCreated, TokenRevoked, TokenRotated, PiiDisclosed, DownloadTokenIssued,
        CommandAccepted,
        // incident-<id>
        IncidentReported, IncidentScoped, AffectedPartyNotified, EvidenceDeletionConfirmed,
        IncidentClosed, ExternalMappingRecorded, ExternalFileImported, ExternalEvidenceErased,
        // evidence-<id>
        ExternalRegistrationImported, ExternalAccessObserved,
        // operations
        BackupRestored, LedgerRolledBack>();
    return catalog;
}

std::optional<int> current_schema(std::string_view type) {
    // Asked once per event a replay reads: a hash lookup, not a walk of the catalog.
    static const std::unordered_map<std::string_view, int> schemas = [] {
        std::unordered_map<std::string_view, int> by_type;
        for (const auto& info : event_catalog()) by_type.emplace(info.type, info.schema);
        return by_type;
    }();
    const auto found = schemas.find(type);
    if (found == schemas.end()) return std::nullopt;
    return found->second;
}

}  // namespace kakitome::domain
