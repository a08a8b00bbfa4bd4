package dev.strata.spring;

import dev.strata.application.Strata;
import dev.strata.call.CallContext;
import dev.strata.config.ConfigValues;
import dev.strata.config.LoadedConfig;
import dev.strata.resilience.Fallback;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Checks every {@link StrataCall} method when its bean is created and wraps the bean in a proxy
 * that runs those methods through their dependency's pipeline. See {@link StrataCall} for what is
 * checked; every mistake is a {@link BeanCreationException} naming the bean, the method and what
 * is allowed.
 */
public final class StrataCallPostProcessor implements BeanPostProcessor, BeanFactoryAware {

    private final ObjectProvider<LoadedConfig> config;
    private final ObjectProvider<Strata> strata;
    private ConfigurableBeanFactory beanFactory;

    /** Looks the configuration and runtime up lazily, so it can be created before them. */
    public StrataCallPostProcessor(ObjectProvider<LoadedConfig> config, ObjectProvider<Strata> strata) {
        this.config = config;
        this.strata = strata;
    }

    private record Target(String dependency, Method fallback, boolean withCause) {
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory instanceof ConfigurableBeanFactory configurable ? configurable : null;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = ClassUtils.getUserClass(bean);
        Map<Method, Target> targets = new HashMap<>();
        ReflectionUtils.doWithMethods(type, method -> {
            StrataCall call = method.getAnnotation(StrataCall.class);
            if (call != null) {
                targets.put(method, check(beanName, type, method, call));
            }
        });
        if (targets.isEmpty()) {
            return bean;
        }
        if (beanFactory != null && beanFactory.containsBean(StrataBeanRegistrar.LIFECYCLE_BEAN)) {
            // The bean calls the runtime: it, and the beans using it, are destroyed before the
            // runtime's lifecycle bean closes the runtime, so their @PreDestroy methods may still call.
            beanFactory.registerDependentBean(StrataBeanRegistrar.LIFECYCLE_BEAN, beanName);
        }
        ProxyFactory proxy = new ProxyFactory(bean);
        proxy.setProxyTargetClass(true);
        proxy.addAdvice(new Interceptor(targets, bean, strata));
        return proxy.getProxy(type.getClassLoader());
    }

    private Target check(String beanName, Class<?> type, Method method, StrataCall call) {
        String where = type.getSimpleName() + "." + method.getName() + Arrays.stream(method.getParameterTypes())
                .map(Class::getSimpleName).toList().toString().replace('[', '(').replace(']', ')');
        LoadedConfig loaded = config.getObject();
        ConfigValues dependency = loaded.dependencies().get(call.value());
        if (dependency == null) {
            throw new BeanCreationException(beanName, "@StrataCall on " + where + ": dependency '" + call.value()
                    + "' is not configured; configured: " + loaded.dependencies().keySet());
        }
        if (Modifier.isPrivate(method.getModifiers()) || Modifier.isFinal(method.getModifiers())
                || Modifier.isStatic(method.getModifiers())) {
            throw new BeanCreationException(beanName, "@StrataCall on " + where
                    + ": the method must not be private, final or static (a proxy cannot intercept it)");
        }
        if (call.fallback().isEmpty()) {
            return new Target(call.value(), null, false);
        }
        List<Method> sameName = new ArrayList<>();
        ReflectionUtils.doWithMethods(type, m -> {
            if (m.getName().equals(call.fallback())) {
                sameName.add(m);
            }
        });
        Class<?>[] params = method.getParameterTypes();
        Class<?> returns = ClassUtils.resolvePrimitiveIfNecessary(method.getReturnType());
        for (Method candidate : sameName) {
            Class<?>[] p = candidate.getParameterTypes();
            boolean withCause = p.length == params.length + 1 && p[p.length - 1] == Fallback.Cause.class;
            if ((p.length == params.length || withCause) && Arrays.equals(Arrays.copyOf(p, params.length), params)
                    && returns.isAssignableFrom(ClassUtils.resolvePrimitiveIfNecessary(candidate.getReturnType()))) {
                if (dependency.find("fallback", List.class).map(kinds -> kinds.isEmpty()).orElse(true)) {
                    throw new BeanCreationException(beanName, "@StrataCall on " + where + ": fallback '" + call.fallback()
                            + "' would never run: set strata.dependencies." + call.value()
                            + ".fallback to the fault kinds it answers, e.g. [circuit-open, bulkhead-full]");
                }
                ReflectionUtils.makeAccessible(candidate);
                return new Target(call.value(), candidate, withCause);
            }
        }
        String wanted = method.getReturnType().getSimpleName() + " " + call.fallback() + "("
                + String.join(", ", Arrays.stream(params).map(Class::getSimpleName).toList())
                + (params.length == 0 ? "" : ", ") + "[Fallback.Cause])";
        throw new BeanCreationException(beanName, "@StrataCall on " + where + ": fallback method must be " + wanted
                + " in " + type.getSimpleName() + "; found " + (sameName.isEmpty() ? "no method named '" + call.fallback() + "'"
                : sameName.stream().map(Method::toGenericString).toList()));
    }

    /** Runs annotated methods through their pipeline; every other method goes straight to the bean. */
    private static final class Interceptor implements MethodInterceptor {
        private final Map<Method, Target> targets;
        private final Object bean;
        private final ObjectProvider<Strata> strata;

        Interceptor(Map<Method, Target> targets, Object bean, ObjectProvider<Strata> strata) {
            this.targets = targets;
            this.bean = bean;
            this.strata = strata;
        }

        @Override
        public Object invoke(MethodInvocation invocation) throws Throwable {
            Target target = targets.get(invocation.getMethod());
            if (target == null) {
                return invocation.proceed();
            }
            Object[] args = invocation.getArguments();
            ProxyMethodInvocation base = (ProxyMethodInvocation) invocation;
            java.util.concurrent.Callable<Object> attempt = () -> {
                try {
                    return base.invocableClone().proceed(); // a fresh invocation per attempt: retries run the method again
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            };
            CallContext context = CallContext.idempotent(target.dependency());
            if (target.fallback() == null) {
                return strata.getObject().dependency(target.dependency()).execute(context, attempt);
            }
            return strata.getObject().dependency(target.dependency()).execute(context, attempt, cause -> {
                Object[] fallbackArgs = target.withCause() ? Arrays.copyOf(args, args.length + 1) : args;
                if (target.withCause()) {
                    fallbackArgs[args.length] = cause;
                }
                try {
                    return target.fallback().invoke(bean, fallbackArgs);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
                }
            });
        }
    }
}
