// The synthetic world of the embedded demo model: the 50 US states, their capitals and some other cities.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ce::core {

// One state. Names are plain ASCII and may have several words ("New York", "Salt Lake City").
struct UsState {
  std::string name;
  std::string capital;
  // Real cities of the state other than its capital, in the order the world lists them.
  std::vector<std::string> cities;
};

// One non-capital city with its state and that state's capital, for callers that iterate over cities.
struct City {
  std::string name;
  std::string state;
  std::string capital;
  int state_index = 0;  // index into World::states()
};

// An immutable list of states. Every state name, capital and city name is unique across the world (no
// city shares a name with another city, a capital or a state), so every two-hop question has one answer.
// Thread rules: immutable after construction; every method may be called from any thread.
class World {
 public:
  // Validates and takes `states`. Throws Error when a state has no name, capital or city, when a name
  // is not printable ASCII, or when any name occurs twice (as city, capital or state).
  explicit World(std::vector<UsState> states);

  // The built-in world: the 50 states in alphabetical order, each with its real capital and four other
  // real, well-known cities chosen so that none is famous in two states (no Portland, Springfield,
  // Kansas City, Columbus GA ...). A static instance: the reference stays valid for the whole program.
  static const World& united_states();

  const std::vector<UsState>& states() const { return states_; }
  // All non-capital cities, grouped by state in state order.
  const std::vector<City>& cities() const { return cities_; }
  // nullptr when no state / non-capital city has exactly this name.
  const UsState* find_state(std::string_view name) const;
  const City* find_city(std::string_view name) const;

 private:
  std::vector<UsState> states_;
  std::vector<City> cities_;
};

}  // namespace ce::core
