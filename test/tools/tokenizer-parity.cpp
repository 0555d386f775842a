//===- tokenizer-parity.cpp - Our tokenizer against reference ids -*- C++ -*-=//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// tokenizer-parity DIR CASES.jsonl
//
// Each line of CASES is {"text": "...", "ids": [...]} with the reference
// encoder's ids. Prints how many cases encode to identical ids and how many
// decode back to their text exactly; exits 1 if any does not, showing the
// first few differences.
//
//===----------------------------------------------------------------------===//

#include "text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: tokenizer-parity DIR CASES.jsonl\n";
    return 2;
  }
  std::unique_ptr<gpt3::Tokenizer> tokenizer;
  if (gpt3_status_t status = gpt3::Tokenizer::load(argv[1], tokenizer)) {
    std::cerr << "tokenizer-parity: " << gpt3_status_message(status) << "\n";
    gpt3_status_free(status);
    return 2;
  }
  std::ifstream in(argv[2]);
  std::string line;
  int cases = 0, identical = 0, roundTrips = 0, shown = 0;
  while (std::getline(in, line)) {
    nlohmann::json entry = nlohmann::json::parse(line);
    std::string text = entry.at("text");
    std::vector<int32_t> expected = entry.at("ids");
    std::vector<int32_t> ids = tokenizer->encode(text);
    std::string decoded;
    for (int32_t id : ids)
      decoded += tokenizer->token(id);
    ++cases;
    identical += ids == expected;
    roundTrips += decoded == text;
    if ((ids != expected || decoded != text) && shown++ < 5)
      std::cout << "differs: " << nlohmann::json(text).dump() << "\n  ours "
                << nlohmann::json(ids).dump() << "\n  reference "
                << nlohmann::json(expected).dump() << "\n";
  }
  std::cout << "parity: " << identical << "/" << cases
            << " identical, round trips: " << roundTrips << "/" << cases
            << " exact\n";
  return identical == cases && roundTrips == cases && cases > 0 ? 0 : 1;
}
