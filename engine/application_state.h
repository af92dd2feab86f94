// The state of an application, derived from its stream's event types (design section 4).
// Commands load the stream and ask this; projections use it too.
#pragma once

#include <string>
#include <vector>

#include "events/event.h"

namespace kakitome {

// awaiting_password, password_received, password_mismatch, decrypted, validated, rejected,
// url_issued, downloaded, withdrawn, expired; "none" for an empty stream.
std::string application_state(const std::vector<RecordedEvent>& events);

}  // namespace kakitome
