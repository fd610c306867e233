#include "command_table.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "ce/core/base/error.h"

namespace ce::trace {

using ce::core::Error;

Option flag(std::string name, std::string help) {
  Option o;
  o.name = std::move(name);
  o.help = std::move(help);
  return o;
}

Option value(std::string name, std::string placeholder, std::string help, std::string default_value) {
  Option o;
  o.name = std::move(name);
  o.placeholder = std::move(placeholder);
  o.help = std::move(help);
  o.default_value = std::move(default_value);
  return o;
}

Option required(std::string name, std::string placeholder, std::string help) {
  Option o = value(std::move(name), std::move(placeholder), std::move(help));
  o.required = true;
  return o;
}

Option repeatable(std::string name, std::string placeholder, std::string help) {
  Option o = value(std::move(name), std::move(placeholder), std::move(help));
  o.repeatable = true;
  return o;
}

std::vector<Option> options(std::initializer_list<std::vector<Option>> groups) {
  std::vector<Option> all;
  for (const auto& g : groups) all.insert(all.end(), g.begin(), g.end());
  return all;
}

namespace {

std::string padded(const std::string& s, size_t width) {
  return s.size() >= width ? s + "  " : s + std::string(width - s.size(), ' ');
}

// Words of `text` in lines of at most kHelpWidth columns, the lines after the first indented by `indent`.
std::string wrapped(const std::string& text, size_t indent) {
  constexpr size_t kHelpWidth = 110;
  const size_t room = kHelpWidth > indent + 40 ? kHelpWidth - indent : 40;
  std::istringstream words(text);
  std::string out, line, word;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::string usage_line(const Command& c) {
  std::string line = "usage: circuit-trace " + c.name;
  for (const Option& o : c.options) {
    if (o.required) line += " --" + o.name + " " + o.placeholder;
  }
  if (!c.operands.empty()) line += " " + c.operands;
  if (std::any_of(c.options.begin(), c.options.end(), [](const Option& o) { return !o.required; })) {
    line += " [options]";
  }
  return line + "\n";
}

}  // namespace

std::string usage(const std::vector<Command>& commands) {
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.name.size() + 2);
  std::string s =
      "usage: circuit-trace COMMAND [options]\n"
      "       circuit-trace help COMMAND   (or COMMAND --help: the command's options and defaults)\n"
      "commands:\n";
  for (const Command& c : commands) s += "  " + padded(c.name, width) + c.summary + "\n";
  s += "Every command prints one JSON document on stdout; an error prints one line on stderr and exits with "
       "2.\n"
       "--model defaults to the embedded demo model (resources/models/geo).\n";
  return s;
}

std::string command_help(const Command& c) {
  std::string s = usage_line(c) + c.summary + "\n";
  if (c.options.empty()) return s;
  size_t width = 0;
  auto head = [](const Option& o) { return "--" + o.name + (o.is_flag() ? "" : " " + o.placeholder); };
  for (const Option& o : c.options) width = std::max(width, head(o).size() + 2);
  s += "options:\n";
  for (const Option& o : c.options) {
    std::string text = o.help;
    if (o.required) text += " (required)";
    if (o.repeatable) text += " (repeatable)";
    if (!o.default_value.empty()) text += " (default: " + o.default_value + ")";
    s += "  " + padded(head(o), width) + wrapped(text, 2 + width);
  }
  return s;
}

const Command* find_command(const std::vector<Command>& commands, const std::string& name) {
  for (const Command& c : commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Args::Args(const Command& command, int argc, char** argv, int first) : command_(&command) {
  command_line_ = "circuit-trace";
  for (int i = 1; i < argc; ++i) command_line_ += std::string(" ") + argv[i];
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      return;
    }
    if (a.rfind("--", 0) != 0) {
      if (command.operands.empty()) throw Error("unexpected argument '" + a + "'");
      operands_.push_back(a);
      continue;
    }
    const std::string name = a.substr(2);
    const Option* o = find(name);
    if (!o) throw Error("unknown option --" + name);
    if (o->is_flag()) {
      flags_.insert(name);
      continue;
    }
    if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
    values_[name].push_back(argv[++i]);
  }
  for (const Option& o : command.options) {
    if (o.required && !has(o.name)) throw Error("missing required option --" + o.name);
  }
}

const Option* Args::find(const std::string& name) const {
  for (const Option& o : command_->options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

const Option& Args::option(const std::string& name) const {
  const Option* o = find(name);
  if (!o) throw std::logic_error(command_->name + " reads --" + name + ", which its table entry lacks");
  return *o;
}

bool Args::flag(const std::string& name) const {
  if (!option(name).is_flag()) throw std::logic_error("--" + name + " is not a flag");
  return flags_.count(name) > 0;
}

std::string Args::get(const std::string& name) const {
  const Option& o = option(name);
  if (has(name)) return values_.at(name).back();
  if (o.default_value.empty()) throw Error("missing required option --" + name);
  return o.default_value;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  if (!option(name).default_value.empty()) {
    throw std::logic_error("--" + name + " has a default in the table; use get()");
  }
  return has(name) ? values_.at(name).back() : fallback;
}

int Args::get_int(const std::string& name) const { return parse_int(get(name), "--" + name); }

double Args::get_double(const std::string& name) const {
  const std::string s = get(name);
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw Error("--" + name + ": '" + s + "' is not a number");
  }
}

uint64_t Args::get_u64(const std::string& name) const {
  const std::string s = get(name);
  try {
    size_t used = 0;
    const unsigned long long v = std::stoull(s, &used);
    if (used != s.size() || s[0] == '-') throw std::invalid_argument(s);
    return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
    throw Error("--" + name + ": '" + s + "' is not a non-negative integer");
  }
}

std::vector<std::string> Args::get_all(const std::string& name) const {
  option(name);
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int parse_int(const std::string& s, const std::string& what) {
  try {
    size_t used = 0;
    const long v = std::stol(s, &used);
    if (used != s.size() || v < -2147483647L || v > 2147483647L) throw std::invalid_argument(s);
    return static_cast<int>(v);
  } catch (const std::exception&) {
    throw Error(what + ": '" + s + "' is not an integer");
  }
}

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(parse_int(item, what));
  return v;
}

}  // namespace ce::trace
