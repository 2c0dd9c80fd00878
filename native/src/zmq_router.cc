// ZmqRouter: a libzmq ROUTER socket for a dedicated agent process. receive(timeoutMs) blocks the
// calling thread in zmq_poll for at most timeoutMs (the caller yields to the event loop between
// calls, so timers and signals still run), send() is a plain non-blocking zmq_send. The answer to
// a state therefore leaves in the same turn of the loop that received the state, without the
// promise and libuv poll wake-up per message of zeromq.js.
//
// A socket monitor counts connections accepted and lost (the server's only use of zeromq.js's
// socket events); connectionEvents() hands out the counts since its last call. No CURVE: the
// server keeps zeromq.js wherever CURVE is on.
#include "zmq_router.h"

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ns3ts {
namespace {

void* context() {
  // One context for the process, never terminated (sockets are closed one by one).
  static void* ctx = zmq_ctx_new();
  return ctx;
}

std::atomic<unsigned> nextMonitor{0};

class ZmqRouterWrap : public Napi::ObjectWrap<ZmqRouterWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ZmqRouter",
                       {InstanceMethod("bind", &ZmqRouterWrap::Bind), InstanceMethod("receive", &ZmqRouterWrap::Receive),
                        InstanceMethod("send", &ZmqRouterWrap::Send),
                        InstanceMethod("connectionEvents", &ZmqRouterWrap::ConnectionEvents),
                        InstanceMethod("close", &ZmqRouterWrap::Close),
                        InstanceAccessor("closed", &ZmqRouterWrap::Closed, nullptr)});
  }

  explicit ZmqRouterWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ZmqRouterWrap>(info) {
    Napi::Env env = info.Env();
    std::int64_t maxMessageSize = -1;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Value v = info[0].As<Napi::Object>().Get("maxMessageSize");
      if (!v.IsUndefined()) {
        const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -2;
        if (!(d >= -1) || d != static_cast<double>(static_cast<std::int64_t>(d))) {
          throw Napi::TypeError::New(env, "maxMessageSize: expected -1 or a non-negative integer");
        }
        maxMessageSize = static_cast<std::int64_t>(d);
      }
    }
    socket_ = zmq_socket(context(), ZMQ_ROUTER);
    if (!socket_) throw Napi::Error::New(env, std::string("zmq_socket: ") + zmq_strerror(zmq_errno()));
    const int linger = 0;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &maxMessageSize, sizeof maxMessageSize);
    const std::string monitorAddress = "inproc://ns3ts-router-monitor-" + std::to_string(nextMonitor++);
    if (zmq_socket_monitor(socket_, monitorAddress.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      const std::string why = zmq_strerror(zmq_errno());
      Shut();
      throw Napi::Error::New(env, "zmq_socket_monitor: " + why);
    }
    monitor_ = zmq_socket(context(), ZMQ_PAIR);
    zmq_setsockopt(monitor_, ZMQ_LINGER, &linger, sizeof linger);
    if (!monitor_ || zmq_connect(monitor_, monitorAddress.c_str()) != 0) {
      const std::string why = zmq_strerror(zmq_errno());
      Shut();
      throw Napi::Error::New(env, "monitor connect: " + why);
    }
  }

  ~ZmqRouterWrap() override { Shut(); }

 private:
  void* socket_ = nullptr;
  void* monitor_ = nullptr;
  std::uint32_t accepted_ = 0;
  std::uint32_t disconnected_ = 0;

  void Shut() {
    if (socket_) zmq_socket_monitor(socket_, nullptr, 0);
    if (monitor_) zmq_close(monitor_);
    if (socket_) zmq_close(socket_);
    monitor_ = nullptr;
    socket_ = nullptr;
  }

  void RequireOpen(const Napi::Env& env, const char* what) {
    if (!socket_) throw Napi::Error::New(env, std::string(what) + ": the socket is closed");
  }

  // bind(endpoint) -> the endpoint as bound (ZMQ_LAST_ENDPOINT: the port chosen for tcp://...:*).
  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "bind");
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "endpoint: expected a string");
    const std::string endpoint = info[0].As<Napi::String>();
    if (zmq_bind(socket_, endpoint.c_str()) != 0) throw Napi::Error::New(env, endpoint + ": " + zmq_strerror(zmq_errno()));
    char last[1024];
    size_t size = sizeof last;
    if (zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, last, &size) != 0) return Napi::String::New(env, endpoint);
    return Napi::String::New(env, last);
  }

  void DrainMonitor() {
    for (;;) {
      zmq_msg_t head;
      zmq_msg_init(&head);
      if (zmq_msg_recv(&head, monitor_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&head);
        return;
      }
      if (zmq_msg_size(&head) >= 2) {
        std::uint16_t event;
        std::memcpy(&event, zmq_msg_data(&head), sizeof event);
        if (event == ZMQ_EVENT_ACCEPTED) accepted_++;
        if (event == ZMQ_EVENT_DISCONNECTED) disconnected_++;
      }
      const bool more = zmq_msg_more(&head);
      zmq_msg_close(&head);
      // The second frame (the peer's address) is not needed.
      while (true) {
        int rcvmore = 0;
        size_t len = sizeof rcvmore;
        zmq_getsockopt(monitor_, ZMQ_RCVMORE, &rcvmore, &len);
        if (!more || !rcvmore) break;
        zmq_msg_t rest;
        zmq_msg_init(&rest);
        while (zmq_msg_recv(&rest, monitor_, 0) < 0 && zmq_errno() == EINTR) {
        }
        zmq_msg_close(&rest);
      }
    }
  }

  // receive(timeoutMs) -> Buffer[] (every frame of one message, the routing id first), or null when
  // nothing arrived within timeoutMs (0: do not wait).
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "receive");
    const double timeout = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -2;
    if (!(timeout >= 0 && timeout <= 60000)) throw Napi::TypeError::New(env, "timeoutMs: expected a number of milliseconds in [0, 60000]");
    // First without waiting: a state that is already queued costs no poll.
    Napi::Value got = TryReceive(env);
    if (!got.IsNull() || timeout == 0) {
      DrainMonitor();
      return got;
    }
    zmq_pollitem_t items[2] = {{socket_, 0, ZMQ_POLLIN, 0}, {monitor_, 0, ZMQ_POLLIN, 0}};
    const int n = zmq_poll(items, 2, static_cast<long>(timeout));
    if (n < 0) {
      if (zmq_errno() == EINTR) return env.Null();
      throw Napi::Error::New(env, std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
    }
    if (items[1].revents & ZMQ_POLLIN) DrainMonitor();
    if (items[0].revents & ZMQ_POLLIN) return TryReceive(env);
    return env.Null();
  }

  Napi::Value TryReceive(const Napi::Env& env) {
    std::vector<Napi::Value> frames;
    for (;;) {
      zmq_msg_t msg;
      zmq_msg_init(&msg);
      if (zmq_msg_recv(&msg, socket_, ZMQ_DONTWAIT) < 0) {
        const int err = zmq_errno();
        zmq_msg_close(&msg);
        // Interrupted by a signal: the frame is still queued, read it again.
        if (err == EINTR) continue;
        if (frames.empty() && err == EAGAIN) return env.Null();
        throw Napi::Error::New(env, std::string("zmq_msg_recv: ") + zmq_strerror(err));
      }
      frames.push_back(Napi::Buffer<char>::Copy(env, static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg)));
      const bool more = zmq_msg_more(&msg);
      zmq_msg_close(&msg);
      if (!more) break;
    }
    Napi::Array out = Napi::Array::New(env, frames.size());
    for (uint32_t i = 0; i < frames.size(); ++i) out.Set(i, frames[i]);
    return out;
  }

  // send(peer, payload): [peer, empty delimiter, payload] to a REQ peer; false when the peer is gone
  // or its queue is full (ZeroMQ drops the message, as zeromq.js's ROUTER does).
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireOpen(env, "send");
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) {
      throw Napi::TypeError::New(env, "send(peer, payload): expected two Uint8Arrays");
    }
    auto peer = info[0].As<Napi::Uint8Array>();
    auto payload = info[1].As<Napi::Uint8Array>();
    if (!SendPart(peer.Data(), peer.ByteLength(), ZMQ_SNDMORE)) return Napi::Boolean::New(env, false);
    SendPart(nullptr, 0, ZMQ_SNDMORE);
    return Napi::Boolean::New(env, SendPart(payload.Data(), payload.ByteLength(), 0));
  }

  // One frame; a signal (e.g. the profiler's) interrupting the call is retried, never a lost frame.
  bool SendPart(const void* data, size_t size, int flags) {
    for (;;) {
      if (zmq_send(socket_, data, size, flags | ZMQ_DONTWAIT) >= 0) return true;
      if (zmq_errno() != EINTR) return false;
    }
  }

  // connectionEvents() -> [accepted, disconnected] since the last call.
  Napi::Value ConnectionEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (monitor_) DrainMonitor();
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Number::New(env, accepted_));
    out.Set(1u, Napi::Number::New(env, disconnected_));
    accepted_ = 0;
    disconnected_ = 0;
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shut();
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), socket_ == nullptr); }
};

}  // namespace

Napi::Function DefineZmqRouter(Napi::Env env) { return ZmqRouterWrap::Define(env); }

}  // namespace ns3ts
