#include "engine/application_state.h"

#include "engine/workflow/application_record.h"

namespace kakitome {

std::string application_state(const std::vector<RecordedEvent>& events) {
    workflow::ApplicationRecord record;
    for (const auto& event : events) record.apply(event);
    return record.state;
}

}  // namespace kakitome
