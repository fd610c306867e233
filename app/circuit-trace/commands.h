// The command table by area. A new command is one entry in its area's list: name, summary, options, run.
#pragma once

#include <vector>

#include "command_table.h"

namespace ce::trace {

std::vector<Command> model_commands();       // info, tokenize, logits, generate
std::vector<Command> circuit_commands();     // attribute, evaluate, edges, steer, steer-pairs
std::vector<Command> prompt_set_commands();  // trace-set, cluster, hypothesis, sweep
std::vector<Command> exemplar_commands();    // exemplars, exemplars-merge, neuron, activations, ...
std::vector<Command> demo_commands();        // train-demo, eval-demo, write-datasets
std::vector<Command> dictionary_commands();  // train-sae
std::vector<Command> plot_commands();        // plot-curves (figures; needs the GUI build)

}  // namespace ce::trace
