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

// What a front end shows for an exception `e`: an Error's whole message (a reason may take several lines, as
// a model folder's tokenizer candidates do), and only the first line of anything else (LibTorch's messages
// carry a C++ backtrace after it). Never empty. Thread-safe.
std::string user_message(const std::exception& e);

}  // namespace ce::core
