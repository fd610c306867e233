#include "ce/demo/world.h"

#include <set>
#include <utility>

#include "ce/core/base/error.h"

namespace ce::core {
namespace {

bool is_printable_ascii(const std::string& text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Cities are picked for being common knowledge and unambiguous: a name that is also a well-known city
// of another state (Portland, Springfield, Kansas City, Columbus, Wilmington NC, Lexington MA, Augusta GA,
// Charleston SC, Salem MA ...) is left out so that city -> state has one true answer.
std::vector<UsState> built_in_states() {
  return {
      {"Alabama", "Montgomery", {"Birmingham", "Huntsville", "Mobile", "Tuscaloosa"}},
      {"Alaska", "Juneau", {"Anchorage", "Fairbanks", "Ketchikan", "Sitka"}},
      {"Arizona", "Phoenix", {"Tucson", "Flagstaff", "Scottsdale", "Tempe"}},
      {"Arkansas", "Little Rock", {"Bentonville", "Jonesboro", "Hot Springs", "Pine Bluff"}},
      {"California", "Sacramento", {"Los Angeles", "San Francisco", "San Diego", "Fresno"}},
      {"Colorado", "Denver", {"Boulder", "Aspen", "Pueblo", "Durango"}},
      {"Connecticut", "Hartford", {"New Haven", "Bridgeport", "Stamford", "Waterbury"}},
      {"Delaware", "Dover", {"Wilmington", "Lewes", "Seaford", "Rehoboth Beach"}},
      {"Florida", "Tallahassee", {"Miami", "Orlando", "Tampa", "Jacksonville"}},
      {"Georgia", "Atlanta", {"Savannah", "Macon", "Athens", "Valdosta"}},
      {"Hawaii", "Honolulu", {"Hilo", "Lahaina", "Kailua", "Kaneohe"}},
      {"Idaho", "Boise", {"Pocatello", "Nampa", "Twin Falls", "Rexburg"}},
      {"Illinois", "Springfield", {"Chicago", "Peoria", "Naperville", "Rockford"}},
      {"Indiana", "Indianapolis", {"Fort Wayne", "Evansville", "Gary", "South Bend"}},
      {"Iowa", "Des Moines", {"Cedar Rapids", "Davenport", "Dubuque", "Ames"}},
      {"Kansas", "Topeka", {"Wichita", "Olathe", "Salina", "Dodge City"}},
      {"Kentucky", "Frankfort", {"Louisville", "Paducah", "Owensboro", "Hopkinsville"}},
      {"Louisiana", "Baton Rouge", {"New Orleans", "Shreveport", "Lake Charles", "Houma"}},
      {"Maine", "Augusta", {"Bangor", "Lewiston", "Bar Harbor", "Biddeford"}},
      {"Maryland", "Annapolis", {"Baltimore", "Rockville", "Hagerstown", "Bethesda"}},
      {"Massachusetts", "Boston", {"Worcester", "Cambridge", "Lowell", "Nantucket"}},
      {"Michigan", "Lansing", {"Detroit", "Flint", "Ann Arbor", "Kalamazoo"}},
      {"Minnesota", "Saint Paul", {"Minneapolis", "Duluth", "Mankato", "Bemidji"}},
      {"Mississippi", "Jackson", {"Biloxi", "Gulfport", "Hattiesburg", "Tupelo"}},
      {"Missouri", "Jefferson City", {"Branson", "Joplin", "Independence", "Hannibal"}},
      {"Montana", "Helena", {"Billings", "Missoula", "Bozeman", "Butte"}},
      {"Nebraska", "Lincoln", {"Omaha", "Kearney", "Grand Island", "Scottsbluff"}},
      {"Nevada", "Carson City", {"Las Vegas", "Reno", "Henderson", "Elko"}},
      {"New Hampshire", "Concord", {"Manchester", "Nashua", "Keene", "Laconia"}},
      {"New Jersey", "Trenton", {"Newark", "Atlantic City", "Princeton", "Hoboken"}},
      {"New Mexico", "Santa Fe", {"Albuquerque", "Las Cruces", "Roswell", "Taos"}},
      {"New York", "Albany", {"Buffalo", "Syracuse", "Yonkers", "Ithaca"}},
      {"North Carolina", "Raleigh", {"Charlotte", "Durham", "Greensboro", "Asheville"}},
      {"North Dakota", "Bismarck", {"Fargo", "Grand Forks", "Minot", "Williston"}},
      {"Ohio", "Columbus", {"Cleveland", "Cincinnati", "Toledo", "Akron"}},
      {"Oklahoma", "Oklahoma City", {"Tulsa", "Norman", "Lawton", "Enid"}},
      {"Oregon", "Salem", {"Eugene", "Bend", "Corvallis", "Beaverton"}},
      {"Pennsylvania", "Harrisburg", {"Philadelphia", "Pittsburgh", "Scranton", "Erie"}},
      {"Rhode Island", "Providence", {"Warwick", "Cranston", "Pawtucket", "Newport"}},
      {"South Carolina", "Columbia", {"Myrtle Beach", "Spartanburg", "Rock Hill", "Hilton Head"}},
      {"South Dakota", "Pierre", {"Sioux Falls", "Rapid City", "Deadwood", "Brookings"}},
      {"Tennessee", "Nashville", {"Memphis", "Knoxville", "Chattanooga", "Clarksville"}},
      {"Texas", "Austin", {"Dallas", "Houston", "San Antonio", "El Paso"}},
      {"Utah", "Salt Lake City", {"Provo", "Ogden", "Moab", "Orem"}},
      {"Vermont", "Montpelier", {"Burlington", "Rutland", "Brattleboro", "Bennington"}},
      {"Virginia", "Richmond", {"Norfolk", "Roanoke", "Charlottesville", "Lynchburg"}},
      {"Washington", "Olympia", {"Seattle", "Spokane", "Tacoma", "Yakima"}},
      {"West Virginia", "Charleston", {"Morgantown", "Wheeling", "Parkersburg", "Huntington"}},
      {"Wisconsin", "Madison", {"Milwaukee", "Green Bay", "Kenosha", "Oshkosh"}},
      {"Wyoming", "Cheyenne", {"Casper", "Laramie", "Cody", "Sheridan"}},
  };
}

}  // namespace

World::World(std::vector<UsState> states) : states_(std::move(states)) {
  std::set<std::string> seen;
  auto claim = [&seen](const std::string& name, const std::string& what) {
    if (name.empty()) throw Error("world: empty " + what + " name");
    if (!is_printable_ascii(name)) throw Error("world: " + what + " \"" + name + "\" is not plain ASCII");
    if (!seen.insert(name).second) throw Error("world: name \"" + name + "\" occurs twice");
  };
  if (states_.empty()) throw Error("world: no states");
  for (size_t i = 0; i < states_.size(); ++i) {
    const UsState& state = states_[i];
    claim(state.name, "state");
    claim(state.capital, "capital of " + state.name);
    if (state.cities.empty()) throw Error("world: state \"" + state.name + "\" has no cities");
    for (const std::string& city : state.cities) {
      claim(city, "city of " + state.name);
      cities_.push_back({city, state.name, state.capital, static_cast<int>(i)});
    }
  }
}

const World& World::united_states() {
  static const World world(built_in_states());
  return world;
}

const UsState* World::find_state(std::string_view name) const {
  for (const UsState& state : states_) {
    if (state.name == name) return &state;
  }
  return nullptr;
}

const City* World::find_city(std::string_view name) const {
  for (const City& city : cities_) {
    if (city.name == name) return &city;
  }
  return nullptr;
}

}  // namespace ce::core
