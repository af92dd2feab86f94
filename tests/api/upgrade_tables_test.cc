// `kakitome upgrade-tables` on the shipped binary, as an operator runs it after an upgrade: the
// dry run counts the log's tables an older kakitome wrote, beside a running server too; the
// rewrite is refused while the server holds the directory, and once it is stopped rewrites them,
// reporting progress, with the head as it was and the chain verifying afterwards. The server
// itself says, when it starts, that the log holds older tables.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "binary_fixture.h"
#include "events/older_log_tables.h"

namespace kakitome::testing {
namespace {

using nlohmann::json;

class UpgradeTables : public BinaryTest {
  protected:
    UpgradeTables() : BinaryTest("upgrade-tables") {}
    json run(const std::string& words, int expected_code) {
        int code = -1;
        const std::string out = kakitome(words + data_flags(), &code);
        EXPECT_EQ(code, expected_code) << out << stderr_text();
        if (code != 0) return json();
        return json::parse(out);
    }
};

TEST_F(UpgradeTables, TheOlderTablesAreRewrittenOnceTheServerIsStopped) {
    for (int i = 0; i < 20; ++i) token("operator", "operator-" + std::to_string(i));
    write_log_as_an_older_kakitome_did(data_, 4 * 1024);

    const auto files = [&] {
        std::set<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(data_))
            names.insert(entry.path().filename().string());
        return names;
    };
    const std::set<std::string> files_before = files();
    const json counted = run("upgrade-tables --dry-run", 0);
    EXPECT_EQ(files(), files_before) << "the dry run wrote nothing";
    ASSERT_TRUE(counted.value("dry_run", false)) << counted;
    ASSERT_GE(counted["tables"].get<int>(), 1) << counted;
    EXPECT_EQ(counted["older_tables"], counted["tables"]) << counted;
    EXPECT_EQ(counted["older_bytes"], counted["bytes"]) << counted;
    EXPECT_EQ(counted["block_bytes"], 16384);

    {
        const int port = free_tcp_port();
        auto server = start_server(data_, port, root_ / "serve.out");
        ASSERT_TRUE(server);
        EXPECT_EQ(run("upgrade-tables --dry-run", 0)["older_tables"], counted["older_tables"]);
        run("upgrade-tables", 4);
        EXPECT_NE(stderr_text().find("stop the server first"), std::string::npos) << stderr_text();
        EXPECT_EQ(run("upgrade-tables --dry-run", 0)["older_tables"], counted["older_tables"])
            << "nothing rewritten while the server ran";
        ASSERT_EQ(server->signal(SIGTERM), 0);
        EXPECT_NE(server->output().find("\"older_log_tables\":" +
                                        std::to_string(counted["older_tables"].get<int>())),
                  std::string::npos)
            << "serve says the log holds older tables: " << server->output();
    }

    const json rewritten = run("upgrade-tables", 0);
    EXPECT_EQ(rewritten["rewritten_tables"], counted["older_tables"]) << rewritten;
    EXPECT_EQ(rewritten["rewritten_bytes"], counted["older_bytes"]) << rewritten;
    EXPECT_EQ(rewritten["older_tables"], 0) << rewritten;
    EXPECT_GE(rewritten["head"]["seq"].get<int>(), 20) << rewritten;
    EXPECT_EQ(rewritten["head"]["hash"].get<std::string>().size(), 64u) << rewritten;
    const std::string last_report = std::to_string(counted["older_tables"].get<int>()) + " of " +
                                    std::to_string(counted["older_tables"].get<int>()) +
                                    " tables rewritten";
    EXPECT_NE(stderr_text().find(last_report), std::string::npos) << stderr_text();
    EXPECT_EQ(run("upgrade-tables --dry-run", 0)["older_tables"], 0);
    int code = -1;
    const std::string verdict = kakitome("verify" + data_flags(), &code);
    EXPECT_EQ(code, 0) << verdict;

    run("upgrade-tables --no-such-flag", 2);
}

}  // namespace
}  // namespace kakitome::testing
