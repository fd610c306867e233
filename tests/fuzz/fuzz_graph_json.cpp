// Attribution-graph JSON (circuit-tracer / Neuronpedia, ce/core/graphs/attribution_graph.h): a graph that loads
// must write itself back and parse again with the same nodes, links, supernodes and pins, and the second write
// must equal the first.
#include <cstdio>
#include <cstdlib>

#include "ce/core/base/error.h"
#include "ce/core/graphs/attribution_graph.h"
#include "fuzz_target.h"

CE_FUZZ_TARGET(graph_json) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("graph.json", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const ce::core::AttributionGraph graph = ce::core::read_graph_json(path);
        const std::string written = ce::core::write_graph_json(graph);
        ce::core::AttributionGraph again;
        try {
          again = ce::core::parse_graph_json(written, "graph_back.json");
        } catch (const ce::core::Error& e) {
          std::fprintf(stderr, "ce-fuzz: the graph written back does not load: %s\n", e.what());
          std::abort();
        }
        if (again.nodes.size() != graph.nodes.size() || again.links.size() != graph.links.size() ||
            again.qparams.supernodes.size() != graph.qparams.supernodes.size() ||
            again.qparams.pinned_ids.size() != graph.qparams.pinned_ids.size()) {
          std::fprintf(stderr,
                       "ce-fuzz: the graph does not round-trip: %zu/%zu nodes, %zu/%zu links, %zu/%zu supernodes, "
                       "%zu/%zu pinned ids\n",
                       graph.nodes.size(), again.nodes.size(), graph.links.size(), again.links.size(),
                       graph.qparams.supernodes.size(), again.qparams.supernodes.size(),
                       graph.qparams.pinned_ids.size(), again.qparams.pinned_ids.size());
          std::abort();
        }
        const std::string second = ce::core::write_graph_json(again);
        if (second != written) {
          std::fprintf(stderr, "ce-fuzz: the graph changes when written a second time:\n%s\n%s\n", written.c_str(),
                       second.c_str());
          std::abort();
        }
      },
      path, input);
}
