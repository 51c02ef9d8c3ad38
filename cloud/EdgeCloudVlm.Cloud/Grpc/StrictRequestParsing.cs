using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>
/// Binds every gRPC service the way the framework's own binder does (the generated <c>BindService</c> method, handler
/// methods found by name, the service's and the method's attributes as endpoint metadata), with one difference: a
/// request message that does not parse - not protobuf, a truncated field, a string that is not UTF-8 - fails the call
/// with <see cref="StatusCode.InvalidArgument"/> naming the message type, instead of the UNKNOWN status "Exception was
/// thrown by handler" that a parse error reaching the framework becomes. The message is read before any interceptor
/// runs, so the request marshaller is the only place where this can be done.
/// </summary>
internal static class StrictRequestParsing
{
    /// <summary>Replaces the framework's service binder; call after <c>AddGrpc</c>.</summary>
    public static IServiceCollection AddStrictGrpcRequestParsing(this IServiceCollection services)
    {
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>));
        return services;
    }

    internal static Marshaller<T> Strict<T>(Marshaller<T> marshaller) => new(
        marshaller.ContextualSerializer,
        context =>
        {
            try
            {
                return marshaller.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeof(T).Name} message: {ex.Message}"));
            }
        });

    internal static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class =>
        new(method.Type, method.ServiceName, method.Name, Strict(method.RequestMarshaller), method.ResponseMarshaller);
}

/// <summary>Discovers a service's methods through its generated <c>BindService</c> and registers them with strict
/// request parsing.</summary>
internal sealed class StrictServiceMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        (Type declaring, MethodInfo bind)? found = FindBindMethod();
        if (found is null)
        {
            return;
        }

        var binder = new Binder(context);
        // The generated method only wires handlers when given an instance; with null it just names the methods.
        found.Value.bind.Invoke(null, [binder, null]);
    }

    private static (Type, MethodInfo)? FindBindMethod()
    {
        for (Type? type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                MethodInfo? bind = attribute.BindType.GetMethod(attribute.BindMethodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static,
                    [typeof(ServiceBinderBase), type]);
                return bind is null ? null : (type, bind);
            }
        }

        return null;
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            MethodInfo target = Handler(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(StrictRequestParsing.Strict(method), Metadata(target),
                target.CreateDelegate<UnaryServerMethod<TService, TRequest, TResponse>>());
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            MethodInfo target = Handler(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(StrictRequestParsing.Strict(method), Metadata(target),
                target.CreateDelegate<ClientStreamingServerMethod<TService, TRequest, TResponse>>());
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            MethodInfo target = Handler(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(StrictRequestParsing.Strict(method), Metadata(target),
                target.CreateDelegate<ServerStreamingServerMethod<TService, TRequest, TResponse>>());
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            MethodInfo target = Handler(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(StrictRequestParsing.Strict(method), Metadata(target),
                target.CreateDelegate<DuplexStreamingServerMethod<TService, TRequest, TResponse>>());
        }

        private static MethodInfo Handler(string name, params Type[] parameters) =>
            typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{typeof(TService).Name} has no public handler {name}");

        private static List<object> Metadata(MethodInfo handler)
        {
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }
    }
}
