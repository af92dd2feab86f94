// A test that drives the shipped `kakitome` binary the way an operator does: a fresh root
// directory (data in root/data), the binary run with its stderr collected in root/stderr,
// tokens created on the command line, and HTTP calls to a server the test starts (base_).
// Subclasses say which flags every data command takes (data_flags(): keys, configuration).
// Every answer call() receives is judged against docs/openapi.yaml when the test ends
// (scripts/validate_responses.py, python3-jsonschema), as the journey's are.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "events/test_store.h"
#include "server_harness.h"

namespace kakitome::testing {

class BinaryTest : public ::testing::Test {
  protected:
    explicit BinaryTest(std::string name) : name_(std::move(name)) {}
    void SetUp() override {
        root_ = fresh_directory(name_);
        data_ = root_ / "data";
        std::filesystem::create_directories(root_);
    }
    void TearDown() override {
        EXPECT_EQ(answers().findings(), "") << "answers the document does not describe";
        std::filesystem::remove_all(root_);
    }
    DocumentedAnswers answers() const { return DocumentedAnswers(root_ / "responses.jsonl"); }

    // " --data DIR" and whatever else every command on the data directory needs.
    virtual std::string data_flags() const { return " --data " + data_.string(); }

    std::string kakitome(const std::string& words, int* exit_code = nullptr) {
        return run_command(
            std::string(KAKITOME_BINARY) + " " + words + " 2>>" + (root_ / "stderr").string(),
            exit_code);
    }
    std::string token(const std::string& role, const std::string& name) {
        int code = -1;
        const std::string out =
            kakitome("token create --role " + role + " --name " + name + data_flags(), &code);
        EXPECT_EQ(code, 0) << out;
        return nlohmann::json::parse(out)["token"];
    }
    HttpReply call(const std::string& method, const std::string& path, const std::string& bearer,
                   const std::string& body = "", const std::string& if_match = "") {
        std::vector<std::string> headers{"Authorization: Bearer " + bearer,
                                         "Content-Type: application/json"};
        if (!if_match.empty()) headers.push_back("If-Match: " + if_match);
        HttpReply reply = http_request(method, base_ + path, headers, body);
        answers().record(method, path, reply);
        return reply;
    }
    std::string stderr_text() const {
        std::ifstream in(root_ / "stderr");
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }

    std::string name_;
    std::filesystem::path root_, data_;
    std::string base_;
};

}  // namespace kakitome::testing
