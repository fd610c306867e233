// Where the shipped resources (demo model, datasets, exemplar index) are found at run time.
#pragma once

#include <string>

namespace ce::core {

// The resources folder, first found of: $CE_RESOURCES_DIR; <folder of the executable>/../share/
// circuit-explorer (installed layout); the source tree's resources/ (build-tree runs). Throws Error listing
// the places searched when none holds a models/ folder. Thread-safe.
std::string resources_dir();

// resources_dir()/models/geo: the embedded demo model that every --model option defaults to. Throws Error
// (with the command that trains it) when the folder lacks config.json.
std::string default_model_dir();

// resources_dir()/datasets.
std::string default_datasets_dir();

}  // namespace ce::core
