// The command table of circuit-trace: every command with its options, help and run function. The usage
// text, each command's help and the option checks are all made from this one table, so they cannot disagree.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ce::trace {

struct Option {
  std::string name;         // without the leading "--"
  std::string placeholder;  // the value's name in help ("DIR"); empty for a flag
  std::string help;
  bool required = false;
  bool repeatable = false;  // every value is kept (Args::get_all), not only the last
  // Used when the option is absent and shown in help; empty = no default (the command decides, and the help
  // text says what happens).
  std::string default_value;
  bool is_flag() const { return placeholder.empty(); }
};

Option flag(std::string name, std::string help);
Option value(std::string name, std::string placeholder, std::string help, std::string default_value = "");
Option required(std::string name, std::string placeholder, std::string help);
Option repeatable(std::string name, std::string placeholder, std::string help);

// Concatenates option groups (the model options, the prompt options, ...) in help order.
std::vector<Option> options(std::initializer_list<std::vector<Option>> groups);

class Args;

struct Command {
  std::string name;
  std::string summary;  // one line, in the global usage and atop the command's help
  std::vector<Option> options;
  void (*run)(const Args&) = nullptr;  // prints the JSON result; throws on error
  // Arguments that are not options ("A B ..."), shown in the usage line; empty = the command takes none.
  std::string operands;
};

// "usage: circuit-trace COMMAND ..." followed by every command and its summary, in table order.
std::string usage(const std::vector<Command>& commands);
// The command's usage line, summary and options with their defaults.
std::string command_help(const Command& command);
const Command* find_command(const std::vector<Command>& commands, const std::string& name);

// The command line of one command, checked against its table entry: an unknown option, an option without its
// value, an operand the command takes none of and a missing required option are errors, so a typo never
// silently changes what runs.
class Args {
 public:
  // Parses argv[first..argc). "--help" (or "-h") where an option may stand stops parsing and skips the
  // required-option check: the caller prints the help instead of running.
  Args(const Command& command, int argc, char** argv, int first);

  bool help_requested() const { return help_; }
  const Command& command() const { return *command_; }
  // "circuit-trace" and every argument, space-separated (recorded in the demo model's card).
  const std::string& command_line() const { return command_line_; }
  const std::vector<std::string>& operands() const { return operands_; }

  // Whether the option was given (a default does not count).
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  bool flag(const std::string& name) const;
  // The given value (the last one of a repeated option), else the table's default; without either,
  // Error("missing required option --NAME").
  std::string get(const std::string& name) const;
  // For options whose default the table cannot state (a folder found at run time, an optional text).
  std::string get_or(const std::string& name, const std::string& fallback) const;
  int get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  uint64_t get_u64(const std::string& name) const;
  std::vector<std::string> get_all(const std::string& name) const;  // in command-line order
  bool declares(const std::string& name) const { return find(name) != nullptr; }

 private:
  // The option's table entry; asking for an option the table lacks is a bug in the command, not bad input,
  // so it throws std::logic_error.
  const Option& option(const std::string& name) const;
  const Option* find(const std::string& name) const;

  const Command* command_;
  bool help_ = false;
  std::string command_line_;
  std::vector<std::string> operands_;
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Strict number parsing for option values; `what` names the value in the error ("--ids").
int parse_int(const std::string& text, const std::string& what);
std::vector<int> parse_int_list(const std::string& text, const std::string& what);

}  // namespace ce::trace
