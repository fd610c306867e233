// libce_spm.so: the only code that links libsentencepiece. See spm_plugin_api.h for why and for the
// ownership rules. Every exported function catches everything: exceptions must not cross a C boundary.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "spm_plugin_api.h"

struct ce_spm_model {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

// Plugin-allocated copy of a message; malloc so that ce_spm_free_string can free it whatever new/delete
// the host replaced. Returns NULL only when even this allocation fails.
char* make_string(const char* data, size_t size) {
  char* copy = static_cast<char*>(std::malloc(size + 1));
  if (copy == nullptr) return nullptr;
  if (size > 0) std::memcpy(copy, data, size);
  copy[size] = '\0';
  return copy;
}

char* make_error(const std::string& message) { return make_string(message.data(), message.size()); }

char* status_error(const sentencepiece::util::Status& status) {
  if (status.ok()) return nullptr;
  std::string message = status.ToString();
  if (message.empty()) message = "SentencePiece error";
  return make_error(message);
}

void set_error(char** error, char* message) {
  if (error != nullptr) {
    *error = message;
  } else {
    std::free(message);
  }
}

bool id_in_range(const ce_spm_model* model, int32_t id) {
  return model != nullptr && id >= 0 && id < model->processor.GetPieceSize();
}

ce_spm_model* finish_load(std::unique_ptr<ce_spm_model> model, const sentencepiece::util::Status& status,
                          char** error) {
  if (!status.ok()) {
    set_error(error, status_error(status));
    return nullptr;
  }
  if (model->processor.GetPieceSize() <= 0) {
    set_error(error, make_error("SentencePiece model has no pieces"));
    return nullptr;
  }
  return model.release();
}

}  // namespace

extern "C" {

int ce_spm_api_version(void) { return CE_SPM_API_VERSION; }

ce_spm_model* ce_spm_load(const char* path, char** error) {
  if (error != nullptr) *error = nullptr;
  try {
    if (path == nullptr) {
      set_error(error, make_error("no model path given"));
      return nullptr;
    }
    auto model = std::make_unique<ce_spm_model>();
    const auto status = model->processor.Load(path);
    return finish_load(std::move(model), status, error);
  } catch (const std::exception& e) {
    set_error(error, make_error(std::string("SentencePiece load failed: ") + e.what()));
  } catch (...) {
    set_error(error, make_error("SentencePiece load failed"));
  }
  return nullptr;
}

ce_spm_model* ce_spm_load_from_bytes(const char* data, size_t size, char** error) {
  if (error != nullptr) *error = nullptr;
  try {
    if (data == nullptr && size > 0) {
      set_error(error, make_error("no model data given"));
      return nullptr;
    }
    auto model = std::make_unique<ce_spm_model>();
    const auto status =
        model->processor.LoadFromSerializedProto(absl::string_view(data == nullptr ? "" : data, size));
    return finish_load(std::move(model), status, error);
  } catch (const std::exception& e) {
    set_error(error, make_error(std::string("SentencePiece load failed: ") + e.what()));
  } catch (...) {
    set_error(error, make_error("SentencePiece load failed"));
  }
  return nullptr;
}

void ce_spm_free(ce_spm_model* model) { delete model; }

char* ce_spm_encode(const ce_spm_model* model, const char* text, size_t size, int want_pieces,
                    ce_spm_encoding* out) {
  if (out == nullptr) return make_error("no output encoding given");
  *out = ce_spm_encoding{};
  if (model == nullptr) return make_error("no model given");
  if (text == nullptr && size > 0) return make_error("no text given");
  try {
    const absl::string_view input(text == nullptr ? "" : text, size);
    // One proto gives ids and the pieces SentencePiece actually chose (for <unk> the piece is the
    // surface text, which IdToPiece would not reproduce).
    const sentencepiece::ImmutableSentencePieceText spt = model->processor.EncodeAsImmutableProto(input);
    const size_t count = spt.pieces_size();
    if (count == 0) return nullptr;
    ce_spm_encoding result{};
    result.count = count;
    result.ids = static_cast<int32_t*>(std::malloc(count * sizeof(int32_t)));
    if (want_pieces != 0) {
      result.piece_ends = static_cast<size_t*>(std::malloc(count * sizeof(size_t)));
    }
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) total += spt.pieces(static_cast<int>(i)).piece().size();
    if (want_pieces != 0) result.pieces = static_cast<char*>(std::malloc(total + 1));
    const bool pieces_missing =
        want_pieces != 0 && (result.piece_ends == nullptr || result.pieces == nullptr);
    if (result.ids == nullptr || pieces_missing) {
      ce_spm_free_encoding(&result);
      return make_error("out of memory while encoding");
    }
    size_t offset = 0;
    for (size_t i = 0; i < count; ++i) {
      const auto piece = spt.pieces(static_cast<int>(i));
      result.ids[i] = static_cast<int32_t>(piece.id());
      if (want_pieces != 0) {
        const std::string& text_of_piece = piece.piece();
        if (!text_of_piece.empty()) {
          std::memcpy(result.pieces + offset, text_of_piece.data(), text_of_piece.size());
        }
        offset += text_of_piece.size();
        result.piece_ends[i] = offset;
      }
    }
    *out = result;
    return nullptr;
  } catch (const std::exception& e) {
    return make_error(std::string("SentencePiece encode failed: ") + e.what());
  } catch (...) {
    return make_error("SentencePiece encode failed");
  }
}

void ce_spm_free_encoding(ce_spm_encoding* encoding) {
  if (encoding == nullptr) return;
  std::free(encoding->ids);
  std::free(encoding->pieces);
  std::free(encoding->piece_ends);
  *encoding = ce_spm_encoding{};
}

char* ce_spm_decode(const ce_spm_model* model, const int32_t* ids, size_t count, char** text, size_t* size) {
  if (text != nullptr) *text = nullptr;
  if (size != nullptr) *size = 0;
  if (model == nullptr || text == nullptr) return make_error("no model or output given");
  if (ids == nullptr && count > 0) return make_error("no ids given");
  try {
    std::vector<int> id_vector(count);
    for (size_t i = 0; i < count; ++i) {
      if (!id_in_range(model, ids[i])) {
        return make_error("token id " + std::to_string(ids[i]) + " is out of range [0, " +
                          std::to_string(model->processor.GetPieceSize()) + ")");
      }
      id_vector[i] = ids[i];
    }
    std::string decoded;
    const auto status = model->processor.Decode(id_vector, &decoded);
    if (!status.ok()) return status_error(status);
    char* copy = make_string(decoded.data(), decoded.size());
    if (copy == nullptr) return make_error("out of memory while decoding");
    *text = copy;
    if (size != nullptr) *size = decoded.size();
    return nullptr;
  } catch (const std::exception& e) {
    return make_error(std::string("SentencePiece decode failed: ") + e.what());
  } catch (...) {
    return make_error("SentencePiece decode failed");
  }
}

int32_t ce_spm_piece_size(const ce_spm_model* model) {
  return model == nullptr ? 0 : model->processor.GetPieceSize();
}

const char* ce_spm_id_to_piece(const ce_spm_model* model, int32_t id, size_t* size) {
  if (size != nullptr) *size = 0;
  if (!id_in_range(model, id)) return nullptr;
  const std::string& piece = model->processor.IdToPiece(id);
  if (size != nullptr) *size = piece.size();
  return piece.c_str();
}

int32_t ce_spm_piece_to_id(const ce_spm_model* model, const char* piece, size_t size) {
  if (model == nullptr) return -1;
  if (piece == nullptr) return model->processor.unk_id();
  try {
    return model->processor.PieceToId(absl::string_view(piece, size));
  } catch (...) {
    return model->processor.unk_id();
  }
}

int32_t ce_spm_bos_id(const ce_spm_model* model) { return model == nullptr ? -1 : model->processor.bos_id(); }
int32_t ce_spm_eos_id(const ce_spm_model* model) { return model == nullptr ? -1 : model->processor.eos_id(); }
int32_t ce_spm_unk_id(const ce_spm_model* model) { return model == nullptr ? -1 : model->processor.unk_id(); }
int32_t ce_spm_pad_id(const ce_spm_model* model) { return model == nullptr ? -1 : model->processor.pad_id(); }

int ce_spm_is_control(const ce_spm_model* model, int32_t id) {
  return id_in_range(model, id) && model->processor.IsControl(id) ? 1 : 0;
}
int ce_spm_is_byte(const ce_spm_model* model, int32_t id) {
  return id_in_range(model, id) && model->processor.IsByte(id) ? 1 : 0;
}
int ce_spm_is_unknown(const ce_spm_model* model, int32_t id) {
  return id_in_range(model, id) && model->processor.IsUnknown(id) ? 1 : 0;
}
int ce_spm_is_unused(const ce_spm_model* model, int32_t id) {
  return id_in_range(model, id) && model->processor.IsUnused(id) ? 1 : 0;
}

char* ce_spm_train(const char* args) {
  if (args == nullptr) return make_error("no trainer arguments given");
  try {
    return status_error(sentencepiece::SentencePieceTrainer::Train(absl::string_view(args)));
  } catch (const std::exception& e) {
    return make_error(std::string("SentencePiece training failed: ") + e.what());
  } catch (...) {
    return make_error("SentencePiece training failed");
  }
}

void ce_spm_free_string(char* text) { std::free(text); }

}  // extern "C"
