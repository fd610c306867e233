#include "ce/core/tokenizer/chat_format.h"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/json_input.h"
#include "ce/core/base/error.h"
#include "ce/core/base/files.h"
#include "tokenizer/tokenizer_limits.h"

namespace ce::core {
namespace {

// Python's str.isspace() set, because Meta's reference formats strip message content with str.strip().
bool is_python_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Decodes the UTF-8 character at text[i] (length in *length); invalid bytes count as non-space.
uint32_t char_at(const std::string& text, size_t i, size_t* length) {
  const auto c0 = static_cast<unsigned char>(text[i]);
  auto cont = [&](size_t k) {
    return i + k < text.size() && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
  };
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(text[i + k]) & 0x3F); };
  if (c0 >= 0xC2 && c0 < 0xE0 && cont(1)) {
    *length = 2;
    return (c0 & 0x1Fu) << 6 | byte(1);
  }
  if (c0 >= 0xE0 && c0 < 0xF0 && cont(1) && cont(2)) {
    *length = 3;
    return (c0 & 0x0Fu) << 12 | byte(1) << 6 | byte(2);
  }
  *length = 1;
  return c0 < 0x80 ? c0 : 0xFFFFFFFFu;  // 4-byte characters are never spaces
}

std::string strip(const std::string& text) {
  size_t begin = text.size();  // start of the first non-space character
  size_t end = 0;              // end of the last one
  size_t i = 0;
  while (i < text.size()) {
    size_t length = 0;
    if (!is_python_space(char_at(text, i, &length))) {
      if (begin == text.size()) begin = i;
      end = i + length;
    }
    i += length;
  }
  return begin < end ? text.substr(begin, end - begin) : std::string();
}

void append(std::vector<int>& ids, const std::vector<int>& more) {
  ids.insert(ids.end(), more.begin(), more.end());
}

int required_special(const Tokenizer& tokenizer, const char* text) {
  const auto id = tokenizer.special_id(text);
  if (!id) {
    throw Error(std::string("chat format: the tokenizer has no ") + text +
                " token (the Llama 3 chat format needs a Llama 3 vocabulary)");
  }
  return *id;
}

// Meta's llama3 ChatFormat.encode_dialog_prompt, plus an optional start of the assistant's reply.
std::vector<int> format_llama3(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                               const std::string& assistant_prefix) {
  const int begin_of_text = required_special(tokenizer, "<|begin_of_text|>");
  const int start_header = required_special(tokenizer, "<|start_header_id|>");
  const int end_header = required_special(tokenizer, "<|end_header_id|>");
  const int eot = required_special(tokenizer, "<|eot_id|>");
  auto header = [&](std::vector<int>& ids, const std::string& role) {
    ids.push_back(start_header);
    append(ids, tokenizer.encode(role, false, false));
    ids.push_back(end_header);
    append(ids, tokenizer.encode("\n\n", false, false));
  };
  std::vector<int> ids{begin_of_text};
  for (const ChatMessage& message : messages) {
    header(ids, message.role);
    append(ids, tokenizer.encode(strip(message.content), false, false));
    ids.push_back(eot);
  }
  header(ids, "assistant");
  if (!assistant_prefix.empty()) append(ids, tokenizer.encode(assistant_prefix, false, false));
  return ids;
}

// Meta's llama (2) chat_completion: [system +] alternating user/assistant turns ending with a user turn.
std::vector<int> format_llama2(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                               const std::string& assistant_prefix) {
  const int bos = tokenizer.bos_id();
  const int eos = tokenizer.eos_id();
  if (bos < 0 || eos < 0) throw Error("chat format: the SentencePiece model has no BOS/EOS token");
  std::vector<ChatMessage> dialog = messages;
  if (!dialog.empty() && dialog[0].role == "system") {
    if (dialog.size() < 2) throw Error("chat format: a system message must be followed by a user message");
    dialog[1].content = "<<SYS>>\n" + dialog[0].content + "\n<</SYS>>\n\n" + dialog[1].content;
    dialog.erase(dialog.begin());
  }
  if (dialog.empty() || dialog.size() % 2 == 0) {
    throw Error("chat format (Llama 2): messages must alternate user/assistant and end with a user message");
  }
  for (size_t i = 0; i < dialog.size(); ++i) {
    const char* expected = i % 2 == 0 ? "user" : "assistant";
    if (dialog[i].role != expected) {
      throw Error("chat format (Llama 2): message " + std::to_string(i + 1) + " has role \"" +
                  dialog[i].role + "\", expected \"" + expected + "\" (user/assistant must alternate)");
    }
  }
  std::vector<int> ids;
  for (size_t i = 0; i + 1 < dialog.size(); i += 2) {
    ids.push_back(bos);
    append(ids, tokenizer.encode(
                    "[INST] " + strip(dialog[i].content) + " [/INST] " + strip(dialog[i + 1].content) + " ",
                    false, false));
    ids.push_back(eos);
  }
  // The prefix goes into the same text as the last instruction, as the assistant's answer would.
  std::string last = "[INST] " + strip(dialog.back().content) + " [/INST]";
  if (!assistant_prefix.empty()) last += " " + assistant_prefix;
  ids.push_back(bos);
  append(ids, tokenizer.encode(last, false, false));
  return ids;
}

}  // namespace

std::vector<int> format_chat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                             const std::string& assistant_prefix) {
  if (tokenizer.kind() == "sentencepiece") return format_llama2(tokenizer, messages, assistant_prefix);
  return format_llama3(tokenizer, messages, assistant_prefix);
}

std::vector<int> format_chat_prompt(const Tokenizer& tokenizer, const std::string& user,
                                    const std::string& system, const std::string& assistant_prefix) {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  return format_chat(tokenizer, messages, assistant_prefix);
}

bool has_chat_template(const std::string& model_dir) {
  // Unreadable or hostile files count as "no template": loading the tokenizer reports what is wrong with them.
  nlohmann::json config;
  try {
    const std::string path = model_dir + "/tokenizer_config.json";
    config = parse_json(read_file(path, kMaxTokenizerConfigBytes, "a tokenizer_config.json"), path);
  } catch (const std::exception&) {
    return false;
  }
  if (!config.is_object()) return false;
  const auto t = config.find("chat_template");
  if (t == config.end()) return false;
  return (t->is_string() && !t->get_ref<const std::string&>().empty()) || (t->is_array() && !t->empty());
}

}  // namespace ce::core
