#include "policies/training/checkpoint.h"

#include <cstdio>
#include <filesystem>

#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

c10::List<at::Tensor> ToList(const std::vector<torch::Tensor>& tensors) {
  c10::List<at::Tensor> list;
  for (const auto& t : tensors) list.push_back(t.detach().to(torch::kCPU).contiguous());
  return list;
}

std::vector<torch::Tensor> ReadList(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  if (!archive.try_read(key, value) || !value.isTensorList()) {
    throw CheckpointError("entry '" + key + "' is missing");
  }
  return value.toTensorVector();
}

void CopyInto(const std::vector<torch::Tensor>& from, const std::vector<torch::Tensor>& to,
              const std::string& what) {
  if (from.size() != to.size()) {
    throw CheckpointError(what + ": " + std::to_string(from.size()) + " tensors stored, the " +
                          "network has " + std::to_string(to.size()));
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < to.size(); ++i) {
    if (from[i].sizes() != to[i].sizes()) {
      throw CheckpointError(what + ": tensor " + std::to_string(i) + " has a different shape");
    }
    to[i].detach().copy_(from[i]);
  }
}

std::vector<torch::Tensor> Tensors(const torch::nn::Module& network) {
  std::vector<torch::Tensor> out;
  for (auto& [name, t] : NamedState(network)) out.push_back(t);
  return out;
}

}  // namespace

void SaveCheckpoint(const std::string& path, TrainablePolicy& policy, const TrainingState& state,
                    nlohmann::json header) {
  torch::serialize::OutputArchive archive;
  std::vector<std::string> names;
  for (const auto& [name, t] : NamedState(policy.Network())) names.push_back(name);
  header["tensor_names"] = names;
  header["step"] = state.step;
  archive.write("network", c10::IValue(ToList(Tensors(policy.Network()))));
  if (state.ema != nullptr) archive.write("ema", c10::IValue(ToList(state.ema->tensors())));
  if (state.optimizer != nullptr) {
    torch::serialize::OutputArchive optimizer;
    state.optimizer->save(optimizer);
    archive.write("optimizer", optimizer);
  }
  if (state.generator != nullptr) {
    std::lock_guard<std::mutex> lock(state.generator->mutex());
    archive.write("generator", state.generator->get_state());
  }
  archive.write("header", c10::IValue(header.dump()));

  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  RemoveStaleTempFiles(target.has_parent_path() ? target.parent_path().string() : ".");
  const std::string temp = TempPathFor(path);
  try {
    archive.save_to(temp);
  } catch (const c10::Error& e) {
    std::remove(temp.c_str());
    throw CheckpointError("cannot write checkpoint " + path + ": " + e.what_without_backtrace());
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw CheckpointError("cannot move " + temp + " to " + path);
  }
}

namespace {

torch::serialize::InputArchive OpenArchive(const std::string& path) {
  if (!std::filesystem::exists(path)) throw CheckpointError(path + ": no such checkpoint");
  if (!std::filesystem::is_regular_file(path)) {  // a FIFO or device would block the read
    throw CheckpointError(path + ": not a regular file; give a run folder or its checkpoint.pt");
  }
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": not a readable checkpoint (truncated or corrupt?): " +
                          e.what_without_backtrace());
  }
  return archive;
}

nlohmann::json Header(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("header", value) || !value.isString()) {
    throw CheckpointError(path + ": checkpoint has no header");
  }
  try {
    return nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": checkpoint header is not JSON: " + e.what());
  }
}

}  // namespace

nlohmann::json ReadCheckpointHeader(const std::string& path) {
  auto archive = OpenArchive(path);
  return Header(archive, path);
}

nlohmann::json LoadCheckpoint(const std::string& path, TrainablePolicy& policy,
                              const TrainingState& state, bool use_ema) {
  auto archive = OpenArchive(path);
  nlohmann::json header = Header(archive, path);
  try {
    std::vector<std::string> names;
    for (const auto& [name, t] : NamedState(policy.Network())) names.push_back(name);
    if (header.value("tensor_names", std::vector<std::string>{}) != names) {
      throw CheckpointError("its network layout differs from this policy's config");
    }
    const auto network = ReadList(archive, "network");
    c10::IValue ema_value;
    const bool has_ema = archive.try_read("ema", ema_value) && ema_value.isTensorList();
    const auto live = Tensors(policy.Network());
    CopyInto(use_ema && has_ema ? ema_value.toTensorVector() : network, live, "weights");
    if (state.ema != nullptr && has_ema) {
      CopyInto(ema_value.toTensorVector(), state.ema->tensors(), "EMA weights");
    }
    if (state.optimizer != nullptr) {
      torch::serialize::InputArchive optimizer;
      if (!archive.try_read("optimizer", optimizer)) throw CheckpointError("no optimiser state");
      state.optimizer->load(optimizer);
    }
    if (state.generator != nullptr) {
      torch::Tensor rng;
      if (!archive.try_read("generator", rng)) throw CheckpointError("no RNG state");
      std::lock_guard<std::mutex> lock(state.generator->mutex());
      state.generator->set_state(rng);
    }
  } catch (const CheckpointError& e) {
    throw CheckpointError(path + ": " + e.what());
  } catch (const c10::Error& e) {
    throw CheckpointError(path + ": " + e.what_without_backtrace());
  }
  return header;
}

}  // namespace bcbench
