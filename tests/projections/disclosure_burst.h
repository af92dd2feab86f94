// A burst of `count` disclosures of one application by one principal, the shape of a long log
// the disclosure index catches up on as table files (a page of thousands of rows).
#pragma once

#include <string>
#include <vector>

#include "engine/domain/access_events.h"
#include "engine/domain/domain_event.h"

namespace kakitome::testing {

inline std::vector<NewEvent> disclosure_burst(const std::string& application, int count) {
    std::vector<NewEvent> burst;
    burst.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        burst.push_back(domain::new_event(domain::PiiDisclosed{.principal = "sato",
                                                               .role = "operator",
                                                               .request_id = "r",
                                                               .endpoint = "GET /v1/queue",
                                                               .applications = {application}}));
    return burst;
}

}  // namespace kakitome::testing
