// SigV4 against AWS's published signature test suite (tests/data/sigv4, taken from the
// aws-sig-v4-test-suite files, Apache-2.0, see LICENSE/NOTICE there) and against botocore's
// S3 presigner run at a fixed time with fixed credentials.
#include "engine/download/sigv4.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "events/base/sha256.h"
#include "run_command.h"

namespace kakitome::download {
namespace {

const std::filesystem::path kVectors = KAKITOME_SIGV4_VECTORS;
const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// The suite's .req files: "METHOD URI HTTP/1.1", header lines (a line starting with spaces
// continues the previous header's value), a blank line, the body.
SigningRequest parse_request_file(const std::string& text) {
    SigningRequest request;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    const auto first_space = line.find(' '), last_space = line.rfind(' ');
    request.method = line.substr(0, first_space);
    const std::string uri = line.substr(first_space + 1, last_space - first_space - 1);
    const auto question = uri.find('?');
    request.path = percent_decode(uri.substr(0, question));
    if (question != std::string::npos) {
        std::istringstream query(uri.substr(question + 1));
        std::string pair;
        while (std::getline(query, pair, '&')) {
            const auto equals = pair.find('=');
            request.query.emplace_back(
                percent_decode(pair.substr(0, equals)),
                equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1)));
        }
    }
    while (std::getline(in, line) && !line.empty()) {
        if (line[0] == ' ' && !request.headers.empty()) {
            request.headers.emplace_back(request.headers.back().first, line);
            continue;
        }
        const auto colon = line.find(':');
        request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    request.payload_sha256_hex = to_hex(sha256(body));
    return request;
}

TEST(SigV4, MatchesEveryVectorOfTheAwsTestSuite) {
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kVectors)) {
        if (entry.path().extension() != ".req") continue;
        const std::string name = entry.path().stem();
        const auto base = kVectors / name;
        const SigningRequest request = parse_request_file(slurp(base.string() + ".req"));
        const SigningScope scope{"20150830T123600Z", "us-east-1", "service"};
        EXPECT_EQ(canonical_request(request), slurp(base.string() + ".creq")) << name;
        EXPECT_EQ(string_to_sign(request, scope), slurp(base.string() + ".sts")) << name;
        EXPECT_EQ(authorization_header(request, scope, kSuiteCredentials),
                  slurp(base.string() + ".authz"))
            << name;
        ++checked;
    }
    EXPECT_GE(checked, 20);
}

TEST(SigV4, UriEncodingKeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(uri_encode("pr/動画 2025+final~(1).mp4", true),
              "pr/%E5%8B%95%E7%94%BB%202025%2Bfinal~%281%29.mp4");
    EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
}

std::vector<std::string> run_botocore(const std::vector<nlohmann::json>& cases) {
    const auto input = std::filesystem::temp_directory_path() /
                       ("kakitome-presign-" + std::to_string(::getpid()) + ".jsonl");
    {
        std::ofstream out(input);
        for (const auto& c : cases) out << c.dump() << "\n";
    }
    const std::string command = "/usr/bin/python3 '" + std::string(KAKITOME_BOTOCORE_SCRIPT) +
                                "' < '" + input.string() + "'";
    std::vector<std::string> urls;
    std::istringstream lines(kakitome::testing::run_command(command));
    for (std::string line; std::getline(lines, line);) urls.push_back(line);
    std::filesystem::remove(input);
    return urls;
}

TEST(SigV4, PresignedUrlsEqualBotocoresByteForByte) {
    const std::vector<nlohmann::json> cases = {
        {{"endpoint", "https://s3.ap-northeast-1.amazonaws.com"},
         {"bucket", "kenpo-video"},
         {"key", "pr/kenpo-pr-2025.mp4"},
         {"region", "ap-northeast-1"},
         {"path_style", false},
         {"access_key", "AKIDEXAMPLE"},
         {"secret_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
         {"session_token", ""},
         {"epoch", 1795482123},
         {"expires", 300}},
        {{"endpoint", "https://storage.example.jp:9000"},
         {"bucket", "kenpo-video"},
         {"key", "pr/動画 2025+final~(1).mp4"},
         {"region", "jp-east-1"},
         {"path_style", true},
         {"access_key", "AKIAKAKITOMETEST0001"},
         {"secret_key", "s3cr3t/with+slash=="},
         {"session_token", ""},
         {"epoch", 1747612800},
         {"expires", 300}},
        {{"endpoint", "https://s3.ap-northeast-1.amazonaws.com"},
         {"bucket", "kenpo-video"},
         {"key", "video.mp4"},
         {"region", "ap-northeast-1"},
         {"path_style", true},
         {"access_key", "ASIAKAKITOMETEMP"},
         {"secret_key", "temporarySecret"},
         {"session_token", "FwoGZXIvYXdzEJr//////////wEaDM+token="},
         {"epoch", 1774969199},
         {"expires", 60}},
    };
    const auto expected = run_botocore(cases);
    ASSERT_EQ(expected.size(), cases.size()) << "botocore (python3-botocore) did not answer";
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const ObjectLocation object{c["endpoint"], c["bucket"], c["key"], c["region"],
                                    c["path_style"]};
        const AwsCredentials credentials{c["access_key"], c["secret_key"], c["session_token"]};
        EXPECT_EQ(presign_get_url(object, credentials, c["epoch"], c["expires"]), expected[i]) << i;
    }
}

}  // namespace
}  // namespace kakitome::download
