// Error type thrown by every ce::core function that can fail on user input or I/O.
#pragma once

#include <stdexcept>
#include <string>

namespace ce::core {

// One clear, user-facing message ("file: tensor: what is wrong"). Library code never calls exit();
// front ends catch Error and show what() (the CLI prints it on one line and exits with code 2).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ce::core
