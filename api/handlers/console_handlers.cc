// The console's files and who the caller is (GET /v1/me): what the console needs beyond the
// routes every client uses (docs/console.md).
#include "api/console/console_assets.h"
#include "api/service_impl.h"

namespace kakitome::api {

HttpResponse ApiService::Impl::me(const Context& context) {
    const auto& principal = *context.principal;
    return json_response(200, {{"principal", principal.name},
                               {"role", auth::role_name(principal.role)},
                               {"display_name", principal.display_name},
                               {"pii_access", principal.pii_access}});
}

HttpResponse ApiService::Impl::console_file(const std::string& name) {
    const auto asset = console_asset(name);
    if (!asset) return problem(404, "not_found", "no such resource");
    HttpResponse response;
    response.body = std::string(asset->bytes);
    response.set_header("Content-Type", std::string(asset->content_type));
    return response;
}

}  // namespace kakitome::api
