// circuit-trace: the headless command line of Circuit Explorer. Every command prints one JSON document on
// stdout; on error it prints one line on stderr and exits with code 2.
// Output goes through stdio, never std::cout/std::cerr: an executable that names std::cerr gets a
// copy-relocated instance, and SentencePiece's trainer (dlopen'ed with RTLD_DEEPBIND in the plugin) then logs
// into libstdc++'s own, never-constructed std::cerr and crashes (train-demo).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "cli_support.h"
#include "heap_reuse.h"
#include "passive_wait.h"
#include "commands.h"

namespace {

// The whole table, in the order the usage lists it.
std::vector<ce::trace::Command> all_commands() {
  std::vector<ce::trace::Command> all;
  for (auto area : {ce::trace::model_commands(), ce::trace::demo_commands(), ce::trace::circuit_commands(),
                    ce::trace::prompt_set_commands(), ce::trace::exemplar_commands(),
                    ce::trace::dictionary_commands(),
                    ce::trace::plot_commands()}) {
    all.insert(all.end(), area.begin(), area.end());
  }
  return all;
}

void out(const std::string& text) { std::fputs(text.c_str(), stdout); }
void err(const std::string& text) { std::fputs(text.c_str(), stderr); }

}  // namespace

int main(int argc, char** argv) {
  ce::app::ensure_passive_wait(argv);
  ce::app::keep_freed_heap();
  using namespace ce::trace;
  try {
    const std::vector<Command> commands = all_commands();
    if (argc < 2) {
      err(usage(commands));
      return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || (name == "help" && argc == 2)) {
      out(usage(commands));
      return 0;
    }
    if (name == "help") {
      if (argc > 3) throw ce::core::Error("help takes one command");
      const Command* c = find_command(commands, argv[2]);
      if (!c) {
        err(std::string("circuit-trace: unknown command '") + argv[2] + "'\n" + usage(commands));
        return 2;
      }
      out(command_help(*c));
      return 0;
    }
    const Command* c = find_command(commands, name);
    if (!c) {
      err("circuit-trace: unknown command '" + name + "'\n" + usage(commands));
      return 2;
    }
    const Args args(*c, argc, argv, 2);
    if (args.help_requested()) {
      out(command_help(*c));
      return 0;
    }
    c->run(args);
    return 0;
  } catch (const std::exception& e) {
    err("circuit-trace: error: " + ce::core::user_message(e) + "\n");
    return 2;
  }
}
