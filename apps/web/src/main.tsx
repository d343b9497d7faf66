// First, before @keyward/shared is evaluated anywhere: its DTO decorators (class-transformer's
// @Type) read design-time metadata through the Reflect metadata API, which browsers lack.
import 'reflect-metadata';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router/dom';
import { createQueryClient } from './app/queryClient';
import { router } from './app/router';
import { AuthProvider } from './features/auth/AuthProvider';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html is missing #root');

const queryClient = createQueryClient();

createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>
  </StrictMode>,
);
